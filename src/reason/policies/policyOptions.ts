/**
 * Parsing and describing a policy's options through its zod schema: the schema is the one
 * definition of each option (type, range, default, help), read by the policy itself, eval's method
 * specs, the CLI flags and the server's `lynx` field.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../errors.ts';

/** A `a|b|c` string (as written in a method spec) or an array, as a non-empty list of words. */
export const wordList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split('|').filter((w) => w !== '') : v),
  z.array(z.string().min(1)).min(1),
);

/** One option of a schema, for help texts. */
export interface OptionHelp {
  name: string;
  description: string;
  default?: unknown;
  required: boolean;
}

/** The options of a policy schema in declaration order, with their descriptions and defaults. */
export function describeOptions(schema: z.ZodObject): OptionHelp[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    const def = f instanceof z.ZodDefault ? (f.def.defaultValue as unknown) : undefined;
    return {
      name,
      description: f.description ?? '',
      ...(def !== undefined ? { default: def } : {}),
      required: !(f instanceof z.ZodDefault || f instanceof z.ZodOptional),
    };
  });
}

/** The first zod issue of a policy's options as one sentence naming the option. */
export function optionIssueMessage(
  policy: string,
  schema: z.ZodObject,
  error: z.ZodError,
  input?: unknown,
): string {
  const issue = error.issues[0];
  const names = Object.keys(schema.shape);
  if (issue.code === 'unrecognized_keys') {
    const list = names.length ? names.join(', ') : 'none';
    return `${policy}: unknown option "${issue.keys[0]}" (options: ${list})`;
  }
  const key = issue.path.map(String).join('.');
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  if (issue.path.length === 1 && given[key] === undefined) return `${policy}: option "${key}" is required`;
  return `${policy}: option "${key}": ${issue.message}`;
}

/** Validates `input` against a policy's schema and fills in defaults; bad options are InvalidArgumentErrors. */
export function parsePolicyOptions<S extends z.ZodObject>(
  policy: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const res = schema.safeParse(input ?? {});
  if (!res.success) throw new InvalidArgumentError(optionIssueMessage(policy, schema, res.error, input));
  return res.data;
}
