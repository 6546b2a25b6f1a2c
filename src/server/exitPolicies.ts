/**
 * Which exit policy a request runs: LYNX at the request's (or the server's) risk level when a
 * bundle is loaded, vanilla otherwise or when the request says `"lynx": false`.
 */
import type { Bundle } from '../bundle/Bundle.ts';
import { riskLevel } from '../conformal/riskLevel.ts';
import { UserError } from '../errors.ts';
import { type LynxLevel, lynxPolicy } from '../reason/policies/lynx.ts';
import { vanillaPolicy } from '../reason/policies/simple.ts';
import type { ExitDecision, ExitPolicy } from '../reason/types.ts';
import { badRequest } from './apiError.ts';
import type { ExitSetting } from './chatRequest.ts';

/** The policy chosen for one request, and the level it runs at (null: exit off). */
export interface ChosenPolicy {
  policy: ExitPolicy;
  level: LynxLevel | null;
}

/** Picks policies per request; policies are cached per level (they hold no per-run state). */
export class ExitPolicyChooser {
  private readonly cache = new Map<string, ExitPolicy>();
  private readonly vanilla = vanillaPolicy();
  constructor(
    private readonly bundle: Bundle | undefined,
    readonly defaultLevel: LynxLevel | undefined,
  ) {
    if (bundle && defaultLevel) this.checkLevel(defaultLevel);
  }

  /** True when requests exit early unless they say otherwise. */
  get exitByDefault(): boolean {
    return this.bundle !== undefined && this.defaultLevel !== undefined;
  }

  /** The policy for a request's `lynx` setting; a level the bundle cannot serve is a 400. */
  choose(setting: ExitSetting): ChosenPolicy {
    if (setting.kind === 'off') return { policy: this.vanilla, level: null };
    if (setting.kind === 'default') {
      if (!this.exitByDefault) return { policy: this.vanilla, level: null };
      return { policy: this.lynxAt(this.defaultLevel!), level: this.defaultLevel! };
    }
    if (setting.kind === 'on' && this.exitByDefault)
      return { policy: this.lynxAt(this.defaultLevel!), level: this.defaultLevel! };
    if (!this.bundle)
      throw badRequest(
        "This server has no LYNX bundle loaded (start it with --bundle), so 'lynx' levels cannot be used.",
        'lynx',
      );
    if (setting.kind === 'on') {
      const level = riskLevel({}, { orDefault: true });
      return { policy: this.lynxAt(level), level };
    }
    try {
      const level = riskLevel(setting.kind === 'delta' ? { delta: setting.delta } : setting, {
        what: 'lynx',
      });
      this.checkLevel(level);
      return { policy: this.lynxAt(level), level };
    } catch (e) {
      if (e instanceof UserError) throw badRequest(e.message, `lynx.${setting.kind}`);
      throw e;
    }
  }

  /** Throws a UserError if the bundle has no calibration for `level`. */
  private checkLevel(level: LynxLevel): void {
    if (!this.bundle) return;
    if ('delta' in level) this.bundle.perClassFor(level.delta);
    else this.bundle.lambdaFor(level.alpha, level.epsilon);
  }

  private lynxAt(level: LynxLevel): ExitPolicy {
    const key = JSON.stringify(level);
    let p = this.cache.get(key);
    if (!p) {
      p = lynxPolicy({ bundle: this.bundle!, ...level });
      this.cache.set(key, p);
    }
    return p;
  }
}

/**
 * Wraps a policy so the caller hears about each exit: the kept thinking length and the text
 * appended before the answer (exit cue or reused trial suffix). Decisions are passed through.
 */
export function observeExits(
  policy: ExitPolicy,
  runExitCue: string,
  onExit: (position: number, prefix: string) => void,
): ExitPolicy {
  const prefixOf = (d: ExitDecision) => (d.reuse ? d.reuse.suffix : (d.exitCue ?? runExitCue));
  const observed: ExitPolicy = { ...policy };
  const { onCue, onToken } = policy;
  if (onCue)
    observed.onCue = async (ctx, cue, record, state) => {
      const d = await onCue.call(policy, ctx, cue, record, state);
      if (d.action === 'exit') onExit(cue.position, prefixOf(d));
      return d;
    };
  if (onToken)
    observed.onToken = async (ctx, state) => {
      const d = await onToken.call(policy, ctx, state);
      if (d.action === 'exit') onExit(ctx.thinkingTokens, prefixOf(d));
      return d;
    };
  return observed;
}
