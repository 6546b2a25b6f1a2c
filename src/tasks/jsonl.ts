import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { DataFormatError } from '../errors.ts';

/** A problem with one row, thrown by a row converter; the reader adds the file and line. */
export class RowError extends Error {}

/** A validated row and where it came from. */
export interface JsonlRow<T> {
  row: T;
  /** 1-based line number in the file. */
  line: number;
}

/** Formats zod issues as `field "a.b": message`, the first few only. */
export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length > 0 ? `field "${issue.path.join('.')}"` : 'row';
    return `${where}: ${issue.message}`;
  });
  if (error.issues.length > 3) parts.push(`and ${error.issues.length - 3} more problem(s)`);
  return parts.join('; ');
}

/**
 * Parses JSONL text: skips blank lines, validates every row against `schema`, then maps it with
 * `convert` (which may return undefined to leave a valid but unusable row out). Any bad row is a UserError naming `file`, its 1-based line and what was wrong.
 */
export function parseJsonl<S extends z.ZodType, R>(
  file: string,
  text: string,
  schema: S,
  convert: (row: z.output<S>, line: number, index: number) => R | undefined,
): R[] {
  const out: R[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DataFormatError(`${file}:${line}: not valid JSON (${(err as Error).message})`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new DataFormatError(`${file}:${line}: ${describeIssues(parsed.error)}`);
    try {
      const item = convert(parsed.data, line, out.length);
      if (item !== undefined) out.push(item);
    } catch (err) {
      if (err instanceof RowError) throw new DataFormatError(`${file}:${line}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** Reads a JSONL file (UTF-8) and parses it with `parseJsonl`. */
export function readJsonl<S extends z.ZodType, R>(
  file: string,
  schema: S,
  convert: (row: z.output<S>, line: number, index: number) => R | undefined,
): R[] {
  if (!existsSync(file)) throw new DataFormatError(`${file}: no such file`);
  return parseJsonl(file, readFileSync(file, 'utf8'), schema, convert);
}
