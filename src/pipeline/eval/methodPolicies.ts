/** Builds the exit policy of a method spec for one problem (the oracle needs its gold answer). */
import { UserError } from '../../errors.ts';
import type { LynxBundleLike } from '../../reason/policies/lynx.ts';
import { makePolicy } from '../../reason/policies/registry.ts';
import type { ExitPolicy } from '../../reason/types.ts';
import type { WorkProblem } from '../problems.ts';
import { checkMethodOptions, type MethodSpec } from './methodSpec.ts';

/** Makes a method's policy for a problem. */
export type PolicyFactory = (problem: WorkProblem) => ExitPolicy;

/**
 * A factory for one method. Bad options surface here, once, as UserErrors (a sample policy is built
 * for a placeholder problem), not in the middle of a run.
 */
export function policyFactory(spec: MethodSpec, bundle: LynxBundleLike | undefined): PolicyFactory {
  const options = checkMethodOptions(spec);
  let make: PolicyFactory;
  if (spec.name === 'lynx') {
    if (!bundle) throw new UserError(`method "${spec.label}" needs a bundle (--bundle B.lynx.json)`);
    const policy = makePolicy('lynx', { bundle, ...options });
    make = () => policy;
  } else if (spec.name === 'oracle') {
    make = (p) => makePolicy('oracle', { kind: p.kind, gold: p.gold });
  } else {
    const policy = makePolicy(spec.name, options);
    make = () => policy;
  }
  make({ id: '-', task: '-', messages: [], gold: '0', kind: 'math' });
  return make;
}
