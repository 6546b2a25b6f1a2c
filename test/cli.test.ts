import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';

describe('lynx-exit CLI', () => {
  it('exits non-zero with a clear message for a subcommand that is not filled in yet', async () => {
    const chunks: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((c: string) => {
      chunks.push(String(c));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['demo'])).toBe(3);
    } finally {
      process.stderr.write = orig;
    }
    expect(chunks.join('')).toMatch(/not implemented yet/);
  });

  it('rejects an unknown subcommand', async () => {
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['no-such-command'])).not.toBe(0);
    } finally {
      process.stderr.write = orig;
    }
  });
});
