import { describe, expect, it } from 'vitest';
import { type ModelConfig, type RopeStyle, resolveConfig } from '../../src/model/config.ts';
import { tsGemm } from '../../src/model/gemm.ts';
import { JsHeap, WasmHeap } from '../../src/model/heap.ts';
import { initParams, ModelParams } from '../../src/model/params.ts';
import { type TrainBatch, TrainGraph } from '../../src/model/trainGraph.ts';
import { WasmGemm } from '../../src/model/wasmGemm.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const B = 2;
const T = 8;

function tinyConfig(ropeStyle: RopeStyle): ModelConfig {
  return resolveConfig({
    vocabSize: 11,
    dim: 16,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 24,
    contextLength: T,
    ropeStyle,
  });
}

function randomBatch(cfg: ModelConfig, seed: number): TrainBatch {
  const rng = new SeededRandom(seed);
  const tokens = new Int32Array(B * (T + 1)).map(() => rng.int(cfg.vocabSize));
  // Fractional weights and zeros: the mask must weight and skip targets.
  const mask = new Float32Array(B * (T + 1)).map((_, i) =>
    i % (T + 1) === 0 ? 0 : rng.next() < 0.3 ? 0 : 0.5 + rng.next(),
  );
  return { tokens, mask };
}

/** Parameters with large enough weights (and non-unit norms) that every gradient is far from zero. */
function randomParams(cfg: ModelConfig, heap: JsHeap | WasmHeap, seed: number): ModelParams {
  const p = new ModelParams(cfg, heap);
  initParams(p, seed, 0.4);
  const rng = new SeededRandom(seed + 1);
  for (const t of p.layout) {
    if (t.kind !== 'norm') continue;
    const v = p.get(t.name);
    for (let i = 0; i < v.length; i++) v[i] = 0.5 + rng.next();
  }
  return p;
}

describe('TrainGraph backward', () => {
  for (const style of ['neox', 'normal'] as const) {
    it(`matches central finite differences in float64 for every parameter (${style} RoPE)`, () => {
      const cfg = tinyConfig(style);
      const heap = new JsHeap('f64');
      const params = randomParams(cfg, heap, 7);
      const grads = new ModelParams(cfg, heap);
      const graph = new TrainGraph(params, grads, heap, tsGemm, B, T);
      const batch = randomBatch(cfg, 3);
      graph.forward(batch);
      graph.backward();
      const h = 1e-5;
      let worst = 0;
      let checked = 0;
      for (const t of params.layout) {
        for (let i = t.offset; i < t.offset + t.size; i++) {
          const x = params.flat[i];
          params.flat[i] = x + h;
          const up = graph.forward(batch);
          params.flat[i] = x - h;
          const down = graph.forward(batch);
          params.flat[i] = x;
          const numeric = (up - down) / (2 * h);
          const err = Math.abs(numeric - grads.flat[i]) / (1e-6 + Math.abs(numeric));
          worst = Math.max(worst, Math.abs(numeric - grads.flat[i]) / (1e-3 + Math.abs(numeric)));
          if (err > 1e-4 && Math.abs(numeric - grads.flat[i]) > 1e-8)
            throw new Error(`${t.name}[${i - t.offset}]: analytic ${grads.flat[i]} vs numeric ${numeric}`);
          checked++;
        }
      }
      expect(checked).toBe(params.count);
      // Tolerance: |analytic − numeric| ≤ 1e-4·|numeric| or ≤ 1e-8 absolute, for all ~2.6k parameters.
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it('WASM float32 graph gives the float64 reference loss and gradients', () => {
    const cfg = tinyConfig('neox');
    const ref = new JsHeap('f64');
    const pRef = randomParams(cfg, ref, 11);
    const gRef = new ModelParams(cfg, ref);
    const graphRef = new TrainGraph(pRef, gRef, ref, tsGemm, B, T);
    const heap = new WasmHeap();
    const p32 = new ModelParams(cfg, heap);
    p32.flat.set(pRef.flat);
    const g32 = new ModelParams(cfg, heap);
    const graph32 = new TrainGraph(p32, g32, heap, new WasmGemm(heap), B, T);
    const batch = randomBatch(cfg, 5);
    const lossRef = graphRef.forward(batch);
    graphRef.backward();
    const loss32 = graph32.forward(batch);
    graph32.backward();
    expect(Math.abs(loss32 - lossRef) / lossRef).toBeLessThan(1e-5);
    for (const t of pRef.layout) {
      const a = gRef.get(t.name);
      const b = g32.get(t.name);
      let maxAbs = 0;
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
      expect(maxDiff / maxAbs, t.name).toBeLessThan(1e-4);
    }
  });
});
