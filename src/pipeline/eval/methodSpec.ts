/**
 * Method specs for eval: `name` or `name:key=value,key=value` (e.g. `lynx:delta=0.1`,
 * `deer:threshold=0.9,maxChecks=5`), several comma-separated in one list; values may be JSON
 * strings and sweeps (grammar: `specGrammar.ts`). Each expanded setting is one `MethodSpec` with a
 * distinct label, and belongs to a family: the settings one frontier joins and one tuning picks from.
 */
import { UserError, withContext } from '../../errors.ts';
import { describeOptions, parsePolicyOptions } from '../../reason/policies/policyOptions.ts';
import {
  canonicalPolicyName,
  POLICY_NAMES,
  POLICY_OPTION_SCHEMAS,
  type PolicyName,
} from '../../reason/policies/registry.ts';
import {
  DEFAULT_RANGE_STEPS,
  formatValue,
  type OptionValue,
  type RawMethod,
  scanMethods,
} from './specGrammar.ts';

export type { OptionValue } from './specGrammar.ts';

/** One method to evaluate: an exit policy name, its options, its label and its family. */
export interface MethodSpec {
  name: string;
  options: Record<string, OptionValue>;
  /** Unique within a run; default: the setting as written (`lynx:delta=0.1`). */
  label: string;
  /** The settings tuned and drawn together (default: `defaultFamily`). */
  family: string;
}

/** Options every method takes that are not policy options. */
const SPEC_KEYS = ['label', 'family'] as const;

/** The default label of a method: its name, then its options in the order given (values re-readable). */
export function methodLabel(name: string, options: Record<string, OptionValue>): string {
  const parts = Object.entries(options).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length === 0 ? name : `${name}:${parts.join(',')}`;
}

/**
 * The family of a setting: its method, except that LYNX at a per-cue level δ and at a
 * per-trajectory level α are two families (two calibrations, not two points of one curve).
 */
export function defaultFamily(name: string, options: Record<string, unknown>): string {
  if (name === 'lynx') return options.alpha !== undefined ? 'lynx α' : 'lynx δ';
  return name;
}

/** Every combination of the swept values, in the order written (the first option varies slowest). */
function expand(raw: RawMethod): Array<{ options: Record<string, OptionValue>; swept: string[] }> {
  let settings: Array<{ options: Record<string, OptionValue>; swept: string[] }> = [
    { options: {}, swept: [] },
  ];
  for (const [key, value] of raw.options) {
    if ((SPEC_KEYS as readonly string[]).includes(key)) continue;
    const values = value.kind === 'one' ? [value.value] : value.values;
    settings = settings.flatMap((s) =>
      values.map((v) => ({
        options: { ...s.options, [key]: v },
        swept: value.kind === 'sweep' ? [...s.swept, `${key}=${formatValue(v)}`] : s.swept,
      })),
    );
  }
  return settings;
}

function specText(raw: RawMethod, key: (typeof SPEC_KEYS)[number]): string | undefined {
  const entry = raw.options.find(([k]) => k === key);
  if (!entry) return undefined;
  if (entry[1].kind !== 'one') throw new UserError(`--methods: ${key} cannot be swept`);
  const text = String(entry[1].value).trim();
  if (text === '') throw new UserError(`--methods: empty ${key}`);
  return text;
}

/**
 * Parses a `--methods` list (see `specGrammar.ts`) and expands its sweeps: every setting is its
 * own spec, labelled by its options (or `label`, then the swept values: `fast:threshold=0.9`).
 */
export function parseMethodSpecs(text: string): MethodSpec[] {
  const out: MethodSpec[] = [];
  for (const raw of scanMethods(text)) {
    const name = canonicalPolicyName(raw.name);
    const label = specText(raw, 'label');
    const family = specText(raw, 'family');
    for (const { options, swept } of expand(raw)) {
      out.push({
        name,
        options,
        label:
          label === undefined
            ? methodLabel(name, options)
            : swept.length
              ? `${label}:${swept.join(',')}`
              : label,
        family: family ?? defaultFamily(name, options),
      });
    }
  }
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
export function checkMethodOptions(
  spec: Pick<MethodSpec, 'name' | 'label' | 'options'>,
): Record<string, unknown> {
  try {
    return parsePolicyOptions(spec.name, POLICY_OPTION_SCHEMAS[spec.name as PolicyName], spec.options);
  } catch (e) {
    throw e instanceof UserError ? withContext(e, `method "${spec.label}": `) : e;
  }
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.join('|');
  return typeof value === 'string' ? formatValue(value) : JSON.stringify(value);
}

/** Help text: the spec syntax, then every method with its options, descriptions and defaults (from the schemas). */
export function methodOptionsHelp(): string {
  const lines = [
    'Method specs: name:key=value,key=value,... and more methods after a comma.',
    "  values: a number, true/false, a word list a|b|c, N% (a share of vanilla's mean thinking on the",
    '  dev slice), or a JSON string for any text: trialSuffix="\\n**Final Answer**\\n\\\\boxed".',
    `  sweeps: [a,b,c] runs each value; LO..HI/N runs N evenly spaced values (default ${DEFAULT_RANGE_STEPS}; 20%..80%/4 shares).`,
    '  label=NAME names a setting; family=NAME groups settings for tuning and the frontier',
    '  (default: the method; lynx δ and lynx α apart).',
    'Methods and their options:',
  ];
  for (const name of POLICY_NAMES) {
    const opts = describeOptions(POLICY_OPTION_SCHEMAS[name]);
    lines.push(`  ${name}${opts.length ? '' : ' (no options)'}`);
    for (const o of opts) {
      const def = o.required
        ? ' (required)'
        : o.default === undefined
          ? ''
          : ` (default: ${formatDefault(o.default)})`;
      lines.push(`    ${o.name}${def}: ${o.description}`);
    }
  }
  return lines.join('\n');
}
