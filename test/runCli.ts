/** Runs the `lynx-exit` CLI in the test's process, capturing what it writes. */
import { vi } from 'vitest';
import { main } from '../src/cli/main.ts';

/** Runs the CLI on `argv`; returns the exit code and what it wrote to stdout and stderr. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((t) => {
    out += String(t);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
    err += String(t);
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}
