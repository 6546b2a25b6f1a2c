/** Exit policies by name, for the CLI, eval configs and the server. */
import { UserError } from '../../errors.ts';
import type { ExitPolicy } from '../types.ts';
import { type DeerOptions, deerPolicy } from './deer.ts';
import { type DynasorOptions, dynasorPolicy } from './dynasor.ts';
import { type EntropyOptions, entropyPolicy } from './entropy.ts';
import { type LynxOptions, lynxPolicy } from './lynx.ts';
import { type OracleOptions, oraclePolicy } from './oracle.ts';
import { fixedBudgetPolicy, type NoThinkingOptions, noThinkingPolicy, vanillaPolicy } from './simple.ts';

/** Options of each policy by name. */
export interface PolicyOptionsByName {
  lynx: LynxOptions;
  vanilla: Record<string, never> | undefined;
  'fixed-budget': { budget: number };
  'no-thinking': NoThinkingOptions | undefined;
  deer: DeerOptions | undefined;
  dynasor: DynasorOptions | undefined;
  entropy: EntropyOptions | undefined;
  oracle: OracleOptions;
}

export type PolicyName = keyof PolicyOptionsByName;

const MAKERS: { [K in PolicyName]: (o: PolicyOptionsByName[K]) => ExitPolicy } = {
  lynx: (o) => lynxPolicy(need(o, 'lynx')),
  vanilla: () => vanillaPolicy(),
  'fixed-budget': (o) => fixedBudgetPolicy(need(o, 'fixed-budget').budget),
  'no-thinking': (o) => noThinkingPolicy(o ?? {}),
  deer: (o) => deerPolicy(o ?? {}),
  dynasor: (o) => dynasorPolicy(o ?? {}),
  entropy: (o) => entropyPolicy(o ?? {}),
  oracle: (o) => oraclePolicy(need(o, 'oracle')),
};

/** Every registered policy name. */
export const POLICY_NAMES = Object.freeze(Object.keys(MAKERS) as PolicyName[]);

const ALIASES: Record<string, PolicyName> = {
  fixedBudget: 'fixed-budget',
  noThinking: 'no-thinking',
  nothinking: 'no-thinking',
};

/** Builds a policy by name; unknown names and missing required options are UserErrors. */
export function makePolicy<K extends PolicyName>(name: K, options?: PolicyOptionsByName[K]): ExitPolicy;
export function makePolicy(name: string, options?: unknown): ExitPolicy;
export function makePolicy(name: string, options?: unknown): ExitPolicy {
  const key = (ALIASES[name] ?? name) as PolicyName;
  const make = MAKERS[key] as ((o: unknown) => ExitPolicy) | undefined;
  if (!make)
    throw new UserError(
      `Unknown exit policy ${JSON.stringify(name)}; expected one of ${POLICY_NAMES.join(', ')}.`,
    );
  return make(options);
}

function need<T>(o: T | undefined, name: string): T {
  if (o === undefined || o === null) throw new UserError(`Exit policy "${name}" needs options.`);
  return o;
}
