import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/model/config.ts';
import { createInferState, forwardToken, forwardTokens, truncate } from '../../src/model/infer.ts';
import { initParams, ModelParams } from '../../src/model/params.ts';
import { createRuntime } from '../../src/model/runtime.ts';
import { TrainGraph } from '../../src/model/trainGraph.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const T = 40;
const config = resolveConfig({
  vocabSize: 50,
  dim: 32,
  layers: 3,
  heads: 4,
  kvHeads: 1,
  ffn: 48,
  contextLength: 64,
});

function setup() {
  const runtime = createRuntime('wasm');
  const params = new ModelParams(config, runtime.heap);
  initParams(params, 3, 0.2);
  return { config, params, runtime };
}

describe('KV-cache inference', () => {
  it('gives the training forward pass logits at every position', () => {
    const model = setup();
    const rng = new SeededRandom(8);
    const tokens = new Int32Array(T + 1).map(() => rng.int(config.vocabSize));
    const graph = new TrainGraph(
      model.params,
      new ModelParams(config, model.runtime.heap),
      model.runtime.heap,
      model.runtime.gemm,
      1,
      T,
    );
    const all = graph.logitsOf({ tokens, mask: new Uint8Array(T + 1) });
    const state = createInferState(model);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      const out = forwardToken(state, tokens[t]);
      for (let j = 0; j < config.vocabSize; j++)
        worst = Math.max(worst, Math.abs(out.logits[j] - all[t * config.vocabSize + j]));
    }
    expect(state.length).toBe(T);
    expect(worst).toBeLessThan(1e-4);
  });

  it('exposes each layer output, and the final hidden state is their last entry normalized', () => {
    const model = setup();
    const state = createInferState(model);
    const out = forwardTokens(state, [1, 2, 3]);
    expect(out.hiddenPerLayer).toHaveLength(config.layers);
    const last = out.hiddenPerLayer[config.layers - 1];
    let ss = 0;
    for (let i = 0; i < config.dim; i++) ss += last[i] * last[i];
    const rms = Math.sqrt(ss / config.dim + config.rmsEps);
    for (let i = 0; i < config.dim; i++)
      expect(out.finalHidden[i]).toBeCloseTo((last[i] / rms) * model.params.outNorm[i], 5);
    expect(out.hiddenPerLayer[0]).not.toEqual(out.hiddenPerLayer[1]);
  });

  it('truncate rolls back exactly: a branch and its replay give identical logits', () => {
    const model = setup();
    const state = createInferState(model);
    forwardTokens(state, [4, 9, 16]);
    const direct = Float32Array.from(forwardTokens(state, [25, 36]).logits);
    truncate(state, 3);
    forwardTokens(state, [7, 7, 7, 7]); // a forced-exit branch
    truncate(state, 3);
    expect(Float32Array.from(forwardTokens(state, [25, 36]).logits)).toEqual(direct);
    expect(() => truncate(state, 99)).toThrow();
  });
});
