// The SGLang engine against the SGLang-wire test server (src/testing/SglangWireServer.ts), which is
// backed by the embedded llama.cpp engine on the testbed model: so both engines run the same
// weights, and every difference below would be the SGLang engine's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { SglangEngine } from '../../src/engine/sglang/SglangEngine.ts';
import { RemoteEngineError } from '../../src/errors.ts';
import { loadBundleFor } from '../../src/pipeline/fingerprint.ts';
import { vanillaPolicy } from '../../src/reason/policies/simple.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import { type SglangWireServer, startSglangWireServer } from '../../src/testing/SglangWireServer.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';

const TESTBED = 'models/testbed.gguf';

let local: LlamaCppEngine;
let tokenizer: LlamaCppEngine;
let wire: SglangWireServer;
let remote: SglangEngine;

beforeAll(async () => {
  local = await LlamaCppEngine.load(TESTBED, { threads: 1, contextSize: 1024, parallel: 4 });
  tokenizer = await LlamaCppEngine.loadTokenizer(TESTBED);
  wire = await startSglangWireServer({ engine: local, modelPath: 'lynx/testbed' });
  remote = await SglangEngine.connect({ url: wire.url, tokenizer, parallel: 4 });
}, 60_000);
afterAll(async () => {
  await remote?.dispose();
  await wire?.close();
  await tokenizer?.dispose();
  await local?.dispose();
});

const PROMPT = '<|im_start|>user\nWhat is 17 + 25?<|im_end|>\n<|im_start|>assistant\n<think>\n';

describe('connect', () => {
  it('describes the served model from the tokenizer file and the server', () => {
    expect(remote.info).toMatchObject({
      name: 'sglang',
      modelId: 'lynx/testbed',
      architecture: local.info.architecture,
      hiddenSize: local.info.hiddenSize,
      vocabSize: local.info.vocabSize,
      hiddenLayers: [-1],
      maxSessions: 4,
    });
  });

  it('refuses a tokenizer of another model, naming both', async () => {
    const other = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
    const wrong = await LlamaCppEngine.loadTokenizer(other.path);
    try {
      await expect(SglangEngine.connect({ url: wire.url, tokenizer: wrong })).rejects.toThrow(
        /lynx\/testbed\) tokenizes differently from the local tokenizer/,
      );
    } finally {
      await wrong.dispose();
    }
  });

  it('refuses a server that runs speculative decoding', async () => {
    const spec = await startSglangWireServer({ engine: local, speculativeAlgorithm: 'EAGLE3' });
    try {
      await expect(SglangEngine.connect({ url: spec.url, tokenizer })).rejects.toThrow(
        /speculative-algorithm/,
      );
    } finally {
      await spec.close();
    }
  });

  it('says clearly when nothing listens at the URL', async () => {
    const err = await SglangEngine.connect({
      url: 'http://127.0.0.1:9',
      tokenizer,
      retries: 1,
      backoffMs: 1,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteEngineError);
    expect(String(err.message)).toMatch(
      /cannot reach the SGLang server at http:\/\/127\.0\.0\.1:9 .* after 2 attempts/,
    );
    await expect(SglangEngine.connect({ url: 'not a url', tokenizer })).rejects.toThrow(/--url must be/);
  });
});

describe('hidden states', () => {
  it('gives the state of the same token as llama.cpp: the last one of the sequence', async () => {
    const prompt = tokenizer.promptTokens(PROMPT);
    const a = await local.open(prompt);
    const b = await remote.open(prompt);
    try {
      const sample = { temperature: 0 };
      const ra = await a.generate({ sample, maxTokens: 12 });
      const rb = await b.generate({ sample, maxTokens: 12 });
      expect(rb.tokens.map((t) => t.token)).toEqual(ra.tokens.map((t) => t.token));
      const [ha] = await a.hidden([-1]);
      const [hb] = await b.hidden([-1]);
      expect(hb.length).toBe(local.info.hiddenSize);
      let maxDiff = 0;
      for (let i = 0; i < ha.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ha[i] - hb[i]));
      expect(maxDiff).toBeLessThan(1e-3);
      // ...and not the state of the token before it (the one SGLang's decode step would send).
      const mark = a.mark();
      await a.rollback(mark);
      const c = await local.open(prompt.concat(ra.tokens.slice(0, -1).map((t) => t.token)));
      const [hPrev] = await c.hidden([-1]);
      await c.close();
      let prevDiff = 0;
      for (let i = 0; i < ha.length; i++) prevDiff = Math.max(prevDiff, Math.abs(hPrev[i] - hb[i]));
      expect(prevDiff).toBeGreaterThan(1e-2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("reads one vector per cue in 'last' mode too", async () => {
    const last = await SglangEngine.connect({ url: wire.url, tokenizer, hiddenMode: 'last' });
    const s = await last.open(PROMPT);
    const l = await local.open(PROMPT);
    try {
      const [hb] = await s.hidden([-1]);
      const [ha] = await l.hidden([-1]);
      expect(Array.from(hb).map((x) => x.toFixed(3))).toEqual(Array.from(ha).map((x) => x.toFixed(3)));
      expect(last.stats.hiddenVectors).toBe(1);
    } finally {
      await s.close();
      await l.close();
      await last.dispose();
    }
  });

  it('reads the right row on builds before SGLang PR #30177, whose prompt block runs past the computed rows', async () => {
    const legacy = await startSglangWireServer({ engine: local, legacyPromptRows: true });
    const e = await SglangEngine.connect({ url: legacy.url, tokenizer });
    const s = await e.open(PROMPT);
    const l = await local.open(PROMPT);
    try {
      const sample = { temperature: 0 };
      await s.generate({ sample, maxTokens: 6 });
      await l.generate({ sample, maxTokens: 6 });
      const [hb] = await s.hidden([-1]);
      const [ha] = await l.hidden([-1]);
      // The read hit the prefix cache, and the block had more rows than were computed.
      const read = legacy.trace.at(-1) as (typeof legacy.trace)[number];
      expect(read.cachedTokens).toBeGreaterThan(0);
      expect(read.hiddenVectors).toBe(read.inputTokens);
      expect(Array.from(hb).map((x) => x.toFixed(3))).toEqual(Array.from(ha).map((x) => x.toFixed(3)));
    } finally {
      await s.close();
      await l.close();
      await e.dispose();
      await legacy.close();
    }
  });

  it("refuses 'last' at connect on a build without it, naming the alternative", async () => {
    const old = await startSglangWireServer({ engine: local, lastMode: false });
    try {
      await expect(SglangEngine.connect({ url: old.url, tokenizer, hiddenMode: 'last' })).rejects.toThrow(
        /does not accept return_hidden_states "last" .*use --sglang-hidden full/,
      );
      const full = await SglangEngine.connect({ url: old.url, tokenizer });
      expect(full.info.hiddenLayers).toEqual([-1]);
      await full.dispose();
    } finally {
      await old.close();
    }
  });

  it('names the server flag when hidden states are off', async () => {
    const off = await startSglangWireServer({
      engine: local,
      enableReturnHiddenStates: false,
      modelPath: 'lynx/testbed',
    });
    const e = await SglangEngine.connect({ url: off.url, tokenizer });
    try {
      expect(e.info.hiddenLayers).toEqual([]);
      const s = await e.open(PROMPT);
      await expect(s.hidden([-1])).rejects.toThrow(/--enable-return-hidden-states/);
      await s.close();
      // A LYNX bundle is refused before any decoding, with the flag that would make it load.
      await expect(loadBundleFor('models/testbed.lynx.json', e)).rejects.toThrow(
        /reads hidden-state layers \[-1\]; the sglang engine gives layers none for lynx\/testbed; .*relaunch it with --enable-return-hidden-states$/,
      );
    } finally {
      await e.dispose();
      await off.close();
    }
  });
});

describe('robustness', () => {
  it('retries when the server is briefly unavailable, and reports a lasting error', async () => {
    const s = await remote.open(PROMPT);
    try {
      wire.failNext(2, 503);
      const r = await s.generate({ sample: { temperature: 0 }, maxTokens: 3 });
      expect(r.tokens).toHaveLength(3);
      wire.failNext(2, 'reset');
      const r2 = await s.generate({ sample: { temperature: 0 }, maxTokens: 3 });
      expect(r2.tokens).toHaveLength(3);
      wire.failNext(100, 400);
      await expect(s.generate({ sample: { temperature: 0 }, maxTokens: 3 })).rejects.toThrow(
        /SGLang \/generate answered HTTP 400: injected failure/,
      );
    } finally {
      wire.failNext(0, 503);
      await s.close();
    }
  });

  it('refuses an append past the context or outside the vocabulary before any request', async () => {
    const s = await remote.open(PROMPT);
    try {
      const before = s.length;
      await expect(s.append(new Array(remote.info.contextSize).fill(5))).rejects.toThrow(/context is full/);
      await expect(s.append([5, remote.info.vocabSize])).rejects.toThrow(/outside the vocabulary/);
      expect(s.length).toBe(before);
    } finally {
      await s.close();
    }
  });

  it('cancels a run: the server is told to abort and the trace ends aborted', async () => {
    const controller = new AbortController();
    let n = 0;
    const trace = await runReasoning(remote, PROMPT, vanillaPolicy(), {
      sample: { temperature: 0.6, seed: 3 },
      maxTokens: 600,
      signal: controller.signal,
      onToken: () => {
        if (++n === 5) controller.abort();
      },
    });
    expect(trace.exit.reason === 'aborted' || trace.finish === 'aborted').toBe(true);
  });
});

// Eval, collect and bundles through SGLang equal the embedded engine's: test/cli/sglang.model.test.ts.
