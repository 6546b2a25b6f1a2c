/** Builds the exit policy of a method spec for one problem (the oracle needs its gold answer). */
import { UserError } from '../../errors.ts';
import type { LynxBundleLike } from '../../reason/policies/lynx.ts';
import { makePolicy } from '../../reason/policies/registry.ts';
import { needsReference } from '../../reason/policies/tokenCount.ts';
import type { ExitPolicy } from '../../reason/types.ts';
import type { WorkProblem } from '../problems.ts';
import { checkMethodOptions, type MethodSpec } from './methodSpec.ts';

/** Makes a method's policy for a problem; `reference` sizes its `N%` token counts. */
export type PolicyFactory = (problem: WorkProblem, reference?: number) => ExitPolicy;

/** True when a method's options (its defaults included) hold an `N%` share of the reference thinking. */
export function specNeedsReference(spec: MethodSpec): boolean {
  return needsReference(checkMethodOptions(spec));
}

/**
 * A factory for one method. Bad options surface here, once, as UserErrors (a sample policy is built
 * for a placeholder problem), not in the middle of a run. Policies are shared per reference.
 */
export function policyFactory(spec: MethodSpec, bundle: LynxBundleLike | undefined): PolicyFactory {
  const options = checkMethodOptions(spec);
  if (spec.name === 'lynx' && !bundle)
    throw new UserError(`method "${spec.label}" needs a bundle (--bundle B.lynx.json)`);
  const build = (reference: number | undefined) =>
    spec.name === 'lynx'
      ? makePolicy('lynx', { bundle: bundle!, ...options })
      : makePolicy(spec.name, options, { reference });
  const cache = new Map<number | undefined, ExitPolicy>();
  const make: PolicyFactory = (p, reference) => {
    if (spec.name === 'oracle') return makePolicy('oracle', { kind: p.kind, gold: p.gold });
    let policy = cache.get(reference);
    if (!policy) cache.set(reference, (policy = build(reference)));
    return policy;
  };
  make(
    { id: '-', task: '-', messages: [], gold: '0', kind: 'math' },
    needsReference(options) ? 100 : undefined,
  );
  return make;
}
