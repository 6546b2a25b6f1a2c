/** Exit policies by name, for the CLI, eval configs and the server. */

import type { z } from 'zod';
import { UserError } from '../../errors.ts';
import type { ExitPolicy } from '../types.ts';
import { DEER_OPTIONS, type DeerOptions, deerPolicy } from './deer.ts';
import { DYNASOR_OPTIONS, type DynasorOptions, dynasorPolicy } from './dynasor.ts';
import { ENTROPY_OPTIONS, type EntropyOptions, entropyPolicy } from './entropy.ts';
import { LYNX_POLICY_OPTIONS, type LynxOptions, lynxPolicy } from './lynx.ts';
import { ORACLE_OPTIONS, type OracleOptions, oraclePolicy } from './oracle.ts';
import {
  FIXED_BUDGET_OPTIONS,
  type FixedBudgetOptions,
  fixedBudgetPolicy,
  NO_THINKING_OPTIONS,
  type NoThinkingOptions,
  noThinkingPolicy,
  POSITION_OPTIONS,
  type PositionOptions,
  positionPolicy,
  VANILLA_OPTIONS,
  vanillaPolicy,
} from './simple.ts';
import type { RelativeTo } from './tokenCount.ts';

/** Options of each policy by name. */
export interface PolicyOptionsByName {
  lynx: LynxOptions;
  vanilla: Record<string, never> | undefined;
  'fixed-budget': FixedBudgetOptions;
  'no-thinking': NoThinkingOptions | undefined;
  position: PositionOptions;
  deer: DeerOptions | undefined;
  dynasor: DynasorOptions | undefined;
  entropy: EntropyOptions | undefined;
  oracle: OracleOptions;
}

export type PolicyName = keyof PolicyOptionsByName;

/** What a caller supplies besides a policy's options: the reference `N%` token counts are shares of. */
export type PolicyEnv = RelativeTo;

const MAKERS: { [K in PolicyName]: (o: PolicyOptionsByName[K], env: PolicyEnv) => ExitPolicy } = {
  lynx: (o) => lynxPolicy(need(o, 'lynx')),
  vanilla: () => vanillaPolicy(),
  'fixed-budget': (o, env) => fixedBudgetPolicy({ ...need(o, 'fixed-budget'), ...env }),
  'no-thinking': (o) => noThinkingPolicy(o ?? {}),
  position: (o, env) => positionPolicy({ ...need(o, 'position'), ...env }),
  deer: (o) => deerPolicy(o ?? {}),
  dynasor: (o, env) => dynasorPolicy({ ...o, ...env }),
  entropy: (o, env) => entropyPolicy({ ...o, ...env }),
  oracle: (o) => oraclePolicy(need(o, 'oracle')),
};

/**
 * The serializable options of each policy (what a method spec, a flag or a request may set), one
 * schema per policy; objects such as LYNX's bundle or the oracle's gold answer come from the caller.
 */
export const POLICY_OPTION_SCHEMAS: { readonly [K in PolicyName]: z.ZodObject } = {
  lynx: LYNX_POLICY_OPTIONS,
  vanilla: VANILLA_OPTIONS,
  'fixed-budget': FIXED_BUDGET_OPTIONS,
  'no-thinking': NO_THINKING_OPTIONS,
  position: POSITION_OPTIONS,
  deer: DEER_OPTIONS,
  dynasor: DYNASOR_OPTIONS,
  entropy: ENTROPY_OPTIONS,
  oracle: ORACLE_OPTIONS,
};

/** Every registered policy name. */
export const POLICY_NAMES = Object.freeze(Object.keys(MAKERS) as PolicyName[]);

const ALIASES: Record<string, PolicyName> = {
  fixedBudget: 'fixed-budget',
  budget: 'fixed-budget',
  noThinking: 'no-thinking',
  nothinking: 'no-thinking',
};

/** The registered policy name for a name or alias (`budget`, `noThinking`, ...); unknown names are UserErrors. */
export function canonicalPolicyName(name: string): PolicyName {
  const key = ALIASES[name] ?? name;
  if (!(POLICY_NAMES as readonly string[]).includes(key))
    throw new UserError(`unknown method "${name}"; known methods: ${POLICY_NAMES.join(', ')}`);
  return key as PolicyName;
}

/**
 * Builds a policy by name; unknown names and missing required options are UserErrors. `env`
 * gives the reference thinking length that `N%` token counts are shares of.
 */
export function makePolicy<K extends PolicyName>(
  name: K,
  options?: PolicyOptionsByName[K],
  env?: PolicyEnv,
): ExitPolicy;
export function makePolicy(name: string, options?: unknown, env?: PolicyEnv): ExitPolicy;
export function makePolicy(name: string, options?: unknown, env: PolicyEnv = {}): ExitPolicy {
  const make = MAKERS[canonicalPolicyName(name)] as (o: unknown, env: PolicyEnv) => ExitPolicy;
  return make(options, env);
}

function need<T>(o: T | undefined, name: string): T {
  if (o === undefined || o === null) throw new UserError(`Exit policy "${name}" needs options.`);
  return o;
}
