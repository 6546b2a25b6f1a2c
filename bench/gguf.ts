// GGUF writer speed: quantizer throughput and tiny-model write time (the 1.9 GB bench model is
// built only when LYNX_BENCH_BIG=1, since it takes seconds and disk space).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeF16, encodeQ8_0 } from '../src/gguf/quant.ts';
import { SeededRandom } from '../src/random/SeededRandom.ts';
import { buildBenchModel, buildTestModel } from '../src/testing/testModels.ts';

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}

/** Measures f16/q8_0 encoding throughput and test/bench model write times. */
export async function run(): Promise<Record<string, unknown>> {
  const rng = new SeededRandom(1);
  const x = new Float32Array(1 << 22);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const mb = x.byteLength / 1e6;
  const [, f16Ms] = time(() => encodeF16(x));
  const [, q8Ms] = time(() => encodeQ8_0(x));
  const dir = mkdtempSync(join(tmpdir(), 'gguf-bench-'));
  try {
    const tiny: Record<string, number> = {};
    for (const type of ['f32', 'q8_0'] as const) {
      const t = performance.now();
      await buildTestModel({ kind: 'random', arch: 'qwen2', type, dir });
      tiny[type] = performance.now() - t;
    }
    const result: Record<string, unknown> = {
      f16EncodeMBps: mb / (f16Ms / 1000),
      q8_0EncodeMBps: mb / (q8Ms / 1000),
      tinyModelWriteMs: tiny,
    };
    if (process.env.LYNX_BENCH_BIG === '1') {
      const t = performance.now();
      const big = await buildBenchModel('1.5b', { dir });
      result.bench1_5bWriteS = (performance.now() - t) / 1000;
      result.bench1_5bBytes = statSync(big.path).size;
    }
    console.log(
      `f16 encode ${(result.f16EncodeMBps as number).toFixed(0)} MB/s, q8_0 encode ${(result.q8_0EncodeMBps as number).toFixed(0)} MB/s (f32 input); ` +
        `tiny model write f32 ${tiny.f32.toFixed(1)} ms, q8_0 ${tiny.q8_0.toFixed(1)} ms`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
