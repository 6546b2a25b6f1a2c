import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared benchmark data beside the repository. */
export const SHARED_DATA = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'data',
);

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lynx-tasks-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `<dir>/<set>/<file>` with the given lines joined by newlines. */
export function writeSetFile(dir: string, set: string, file: string, lines: string[]): string {
  const p = path.join(dir, set, file);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}
