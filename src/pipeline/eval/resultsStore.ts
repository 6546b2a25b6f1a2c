/**
 * `results.jsonl`: append-only, one row per line, resumable. A crash can leave at most a partial
 * last line (the row in flight); opening the store cuts it off, so only that row is lost.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { UserError } from '../../errors.ts';
import { type EvalRow, rowKey } from './row.ts';

/** An open results file. */
export class ResultsStore {
  private readonly keys = new Set<string>();

  private constructor(
    readonly path: string,
    private fd: number,
    /** Byte length of the file (appends go here). */
    private end: number,
    readonly rows: EvalRow[],
    /** Bytes of a partial last line removed on open. */
    readonly recoveredBytes: number,
  ) {
    for (const r of rows) this.keys.add(rowKey(r));
  }

  /** Opens (or creates) the file, reading the complete rows already there. */
  static open(path: string): ResultsStore {
    const rows: EvalRow[] = [];
    let keep = 0;
    let size = 0;
    if (existsSync(path)) {
      const buf = readFileSync(path);
      size = buf.length;
      let start = 0;
      let line = 1;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0) break;
        const text = buf.subarray(start, nl).toString('utf8');
        if (text.trim() !== '') rows.push(parseRow(text, path, line));
        start = nl + 1;
        keep = start;
        line++;
      }
      // Bytes after the last newline are a row whose write did not finish.
    }
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    if (keep < size) ftruncateSync(fd, keep);
    return new ResultsStore(path, fd, keep, rows, size - keep);
  }

  /** True if a row with this key is stored. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Appends one row (one write of a whole line) and remembers it. */
  append(row: EvalRow): void {
    const key = rowKey(row);
    if (this.keys.has(key)) throw new Error(`results: row ${key} written twice`);
    const bytes = Buffer.from(`${JSON.stringify(row)}\n`, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, this.end + off);
    this.end += bytes.length;
    this.rows.push(row);
    this.keys.add(key);
  }

  /** Closes the file. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function parseRow(text: string, path: string, line: number): EvalRow {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    throw new UserError(
      `${path}:${line}: not a JSON row (the file is not an eval results file, or it was edited)`,
    );
  }
  const r = row as Partial<EvalRow>;
  if (typeof r !== 'object' || r === null || typeof r.label !== 'string' || typeof r.problemId !== 'string') {
    throw new UserError(`${path}:${line}: not an eval result row (no label / problemId)`);
  }
  // Rows before version 2 did not name their slice; they match no plan of a newer eval.
  return { ...r, slice: r.slice ?? 'all' } as EvalRow;
}
