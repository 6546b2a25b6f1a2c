/**
 * Forced exits: continue a session's sequence past an exit cue for a short answer, then roll the
 * session back as if nothing had been appended. Used for LYNX's forced-exit labels, the oracle's
 * look-ahead and every trial / probe answer (DEER, Dynasor).
 */
import type { GenerateResult, SampleOptions, Session, StopHints } from '../engine/types.ts';
import { BraceTracker } from './braces.ts';

/** Options of `forcedExit`. */
export interface ForcedExitOptions {
  /** Tokens of the exit cue (or probe suffix), appended before decoding. */
  exitCueTokens: number[];
  /** Its text; needed only by `stopOnClose` to know how many braces the cue opened. */
  exitCueText?: string;
  /** At most this many decoded tokens (EOS included). */
  maxTokens: number;
  /** Stop once the `{` opened by the cue's `\boxed{` (or the first `{` decoded) is closed. */
  stopOnClose?: boolean;
  /** Default greedy (`temperature: 0`), as in LYNX's `generate_from_prefix`. */
  sample?: SampleOptions;
  /** Where a remote engine should end its decode when `stopOnClose` (see `braceStopHints`). */
  stopHints?: () => StopHints;
  /** Default true; false leaves the continuation in the session (the caller owns it then). */
  rollback?: boolean;
  signal?: AbortSignal;
  /** The most likely alternatives to report with each decoded token (default 0: none). */
  topLogprobs?: number;
  /** Called after each decoded token, with its logprob (and the alternatives, when asked for). */
  onToken?: (token: number, piece: string, info: TokenLogprobs) => void;
}

/** A decoded token's log-probability and the most likely alternatives at its position. */
export interface TokenLogprobs {
  logprob: number;
  top?: Array<[token: number, logprob: number]>;
}

/** What a forced exit decoded. */
export interface ForcedExitResult {
  /** Decoded text; an end-of-generation token adds nothing. */
  text: string;
  /** Decoded tokens, the end-of-generation token included (it was decoded). */
  tokens: number[];
  /** log-probability of each decoded token under the untempered distribution. */
  logprobs: number[];
  /**
   * Mean probability of the decoded tokens; under greedy decoding each is the max-token
   * probability (DEER's `avg1` confidence). NaN when nothing was decoded.
   */
  meanMaxProb: number;
  stoppedBy: 'eos' | 'close' | 'max-tokens' | 'aborted';
}

const GREEDY: SampleOptions = { temperature: 0 };

const STOPPED_BY: Record<GenerateResult['stoppedBy'], ForcedExitResult['stoppedBy']> = {
  stop: 'close',
  eos: 'eos',
  length: 'max-tokens',
  aborted: 'aborted',
};

/**
 * mark → append the exit cue → generate ≤ maxTokens (stop at EOS, optionally at the closing `}`) →
 * roll back. Exactness of the rollback is the engine's job; this counts and times nothing but tokens.
 */
export async function forcedExit(session: Session, opts: ForcedExitOptions): Promise<ForcedExitResult> {
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 0) {
    throw new RangeError(`forcedExit: maxTokens must be a non-negative integer, got ${opts.maxTokens}`);
  }
  const mark = session.mark();
  const tokens: number[] = [];
  const logprobs: number[] = [];
  let text = '';
  let stoppedBy: ForcedExitResult['stoppedBy'] = 'max-tokens';
  try {
    if (opts.exitCueTokens.length > 0) await session.append(opts.exitCueTokens);
    const braces = opts.stopOnClose ? new BraceTracker(opts.exitCueText ?? '') : undefined;
    if (opts.maxTokens > 0) {
      const result = await session.generate({
        sample: opts.sample ?? GREEDY,
        maxTokens: opts.maxTokens,
        topLogprobs: opts.topLogprobs,
        signal: opts.signal,
        ...(braces && opts.stopHints ? { stopHints: opts.stopHints } : {}),
        onToken: (step) => {
          tokens.push(step.token);
          logprobs.push(step.logprob);
          opts.onToken?.(step.token, step.isEog ? '' : step.piece, {
            logprob: step.logprob,
            ...(step.top ? { top: step.top } : {}),
          });
          if (step.isEog) return false;
          text += step.piece;
          return braces?.push(step.piece) ?? false;
        },
      });
      stoppedBy = STOPPED_BY[result.stoppedBy];
    }
  } finally {
    if (opts.rollback !== false) await session.rollback(mark);
  }
  return { text, tokens, logprobs, meanMaxProb: meanProb(logprobs), stoppedBy };
}

/** Arithmetic mean of exp(logprob); NaN for none. */
export function meanProb(logprobs: readonly number[], from = 0): number {
  let sum = 0;
  let n = 0;
  for (let i = from; i < logprobs.length; i++) {
    sum += Math.exp(logprobs[i]);
    n++;
  }
  return n > 0 ? sum / n : Number.NaN;
}
