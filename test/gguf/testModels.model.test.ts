import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dequantize, metaNumber, metaString, metaStrings, readGguf } from '../../src/gguf/reader.ts';
import { buildTestModel, CYCLE } from '../../src/testing/testModels.ts';

const dir = mkdtempSync(join(tmpdir(), 'testmodels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildTestModel', () => {
  it('writes the cycle construction: output row of next(t) equals the embedding of t', async () => {
    const tm = await buildTestModel({ kind: 'cycle', arch: 'qwen3', dir });
    const file = await readGguf(tm.path, {
      tensors: (n) => n === 'token_embd.weight' || n === 'output.weight',
    });
    expect(metaString(file.metadata, 'general.architecture')).toBe('qwen3');
    expect(metaNumber(file.metadata, 'qwen3.attention.key_length')).toBe(16);
    expect(metaStrings(file.metadata, 'tokenizer.ggml.tokens')).toEqual(tm.tokenizer.tokens);
    const emb = dequantize(file.tensors.find((t) => t.name === 'token_embd.weight')!);
    const out = dequantize(file.tensors.find((t) => t.name === 'output.weight')!);
    const e = tm.config.nEmbd;
    expect(tm.cycle.map((s) => s.text)).toEqual(CYCLE);
    expect(tm.nextToken.size).toBe(CYCLE.length - 1);
    for (const [t, u] of tm.nextToken)
      expect(out.subarray(u * e, (u + 1) * e)).toEqual(emb.subarray(t * e, (t + 1) * e));
    // Tensors not requested are described but not loaded.
    expect(file.tensors.find((t) => t.name === 'output_norm.weight')!.data).toBeUndefined();
  });

  it('reuses a cached file for equal options and writes a new one otherwise', async () => {
    const a = await buildTestModel({ kind: 'random', dir, seed: 5 });
    const mtime = statSync(a.path).mtimeMs;
    const b = await buildTestModel({ kind: 'random', dir, seed: 5, arch: 'qwen2', type: 'f32' });
    expect(b.path).toBe(a.path);
    expect(statSync(b.path).mtimeMs).toBe(mtime);
    const c = await buildTestModel({ kind: 'random', dir, seed: 6 });
    expect(c.path).not.toBe(a.path);
    const attnQ = async (path: string) => {
      const f = await readGguf(path, { tensors: (n) => n === 'blk.0.attn_q.weight' });
      return dequantize(f.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!);
    };
    const wa = await attnQ(a.path);
    const wc = await attnQ(c.path);
    expect(wa).not.toEqual(wc);
    // Random weights have the advertised spread (std 0.2; 4096 draws → ±0.01 at about 4 sigma).
    const std = Math.sqrt(wa.reduce((s, x) => s + x * x, 0) / wa.length);
    expect(Math.abs(std - 0.2)).toBeLessThan(0.01);
  });
});
