/**
 * Method specs for eval: `name` or `name:key=value,key=value` (e.g. `lynx:delta=0.1`,
 * `deer:threshold=0.9,maxChecks=5`), several of them comma-separated in one list.
 */
import { UserError, withContext } from '../../errors.ts';
import { describeOptions, parsePolicyOptions } from '../../reason/policies/policyOptions.ts';
import { POLICY_NAMES, POLICY_OPTION_SCHEMAS, type PolicyName } from '../../reason/policies/registry.ts';

/** A value a method option can take on the command line. */
export type OptionValue = number | string | boolean;

/** One method to evaluate: an exit policy name, its options, and the label rows and tables use. */
export interface MethodSpec {
  name: string;
  options: Record<string, OptionValue>;
  /** Unique within a run; default: the spec as written (`lynx:delta=0.1`). */
  label: string;
}

const ALIASES: Record<string, string> = {
  fixedBudget: 'fixed-budget',
  budget: 'fixed-budget',
  noThinking: 'no-thinking',
  nothinking: 'no-thinking',
};

/** The canonical policy name for a method name (aliases resolved); unknown names are UserErrors. */
export function canonicalMethodName(name: string): string {
  const key = ALIASES[name] ?? name;
  if (!(POLICY_NAMES as readonly string[]).includes(key)) {
    throw new UserError(`unknown method "${name}"; known methods: ${POLICY_NAMES.join(', ')}`);
  }
  return key;
}

function parseValue(raw: string): OptionValue {
  const v = raw.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

/** The default label of a method: its name, then its options in the order given. */
export function methodLabel(name: string, options: Record<string, OptionValue>): string {
  const parts = Object.entries(options).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? name : `${name}:${parts.join(',')}`;
}

/**
 * Parses a comma-separated list of method specs. A part with `=` but no `:` before it continues the
 * options of the method before it; any other part starts a new method. The option `label` names
 * the method (`lynx:delta=0.1,label=lynx-strict`).
 */
export function parseMethodSpecs(text: string): MethodSpec[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new UserError(`--methods: no method given in "${text}"`);
  const specs: { name: string; options: Record<string, OptionValue>; label?: string }[] = [];
  const setOption = (spec: (typeof specs)[number], kv: string) => {
    const eq = kv.indexOf('=');
    const key = kv.slice(0, eq).trim();
    const value = kv.slice(eq + 1);
    if (key === '') throw new UserError(`--methods: option without a name in "${kv}"`);
    if (key === 'label') spec.label = value.trim();
    else spec.options[key] = parseValue(value);
  };
  for (const part of parts) {
    const colon = part.indexOf(':');
    const eq = part.indexOf('=');
    if (eq >= 0 && (colon < 0 || colon > eq)) {
      const last = specs.at(-1);
      if (!last) throw new UserError(`--methods: "${part}" has no method before it (write name:${part})`);
      setOption(last, part);
      continue;
    }
    const name = canonicalMethodName((colon < 0 ? part : part.slice(0, colon)).trim());
    const spec = { name, options: {} as Record<string, OptionValue> } as (typeof specs)[number];
    specs.push(spec);
    if (colon >= 0) {
      const rest = part.slice(colon + 1);
      if (!rest.includes('='))
        throw new UserError(`--methods: expected key=value after "${name}:" in "${part}"`);
      setOption(spec, rest);
    }
  }
  const out = specs.map((s) => ({
    name: s.name,
    options: s.options,
    label: s.label ?? methodLabel(s.name, s.options),
  }));
  checkUniqueLabels(out);
  return out;
}

/** Throws a UserError if two methods share a label (their rows could not be told apart). */
export function checkUniqueLabels(methods: readonly MethodSpec[]): void {
  const seen = new Set<string>();
  for (const m of methods) {
    if (seen.has(m.label)) throw new UserError(`method "${m.label}" is listed twice; give one a label=...`);
    seen.add(m.label);
  }
}

/**
 * Validates a spec's options against its policy's schema (unknown keys, types, ranges) and returns
 * them with the policy's defaults filled in. Errors name the method as written.
 */
export function checkMethodOptions(spec: MethodSpec): Record<string, unknown> {
  try {
    return parsePolicyOptions(spec.name, POLICY_OPTION_SCHEMAS[spec.name as PolicyName], spec.options);
  } catch (e) {
    throw e instanceof UserError ? withContext(e, `method "${spec.label}": `) : e;
  }
}

/** Help text listing every method with its options, descriptions and defaults (from the schemas). */
export function methodOptionsHelp(): string {
  const lines = ['Methods and their options (name:key=value,...; lists as a|b|c):'];
  for (const name of POLICY_NAMES) {
    const opts = describeOptions(POLICY_OPTION_SCHEMAS[name]);
    lines.push(`  ${name}${opts.length ? '' : ' (no options)'}`);
    for (const o of opts) {
      const def = o.required
        ? ' (required)'
        : o.default === undefined
          ? ''
          : ` (default: ${Array.isArray(o.default) ? o.default.join('|') : JSON.stringify(o.default)})`;
      lines.push(`    ${o.name}${def}: ${o.description}`);
    }
  }
  return lines.join('\n');
}
