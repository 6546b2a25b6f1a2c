// The SGLang engine against the SGLang-wire test server (src/testing/SglangWireServer.ts), which is
// backed by the embedded llama.cpp engine on the testbed model: so both engines run the same
// weights, and every difference below would be the SGLang engine's.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { SglangEngine } from '../../src/engine/sglang/SglangEngine.ts';
import { RemoteEngineError, UserError } from '../../src/errors.ts';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import type { EvalRow } from '../../src/pipeline/eval/row.ts';
import { runEval } from '../../src/pipeline/eval/runEval.ts';
import { vanillaPolicy } from '../../src/reason/policies/simple.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import { type SglangWireServer, startSglangWireServer } from '../../src/testing/SglangWireServer.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';

const TESTBED = 'models/testbed.gguf';
const BUNDLE = 'models/testbed.lynx.json';

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

  it('names the server flag when hidden states are off', async () => {
    const off = await startSglangWireServer({ engine: local, enableReturnHiddenStates: false });
    const e = await SglangEngine.connect({ url: off.url, tokenizer });
    try {
      expect(e.info.hiddenLayers).toEqual([]);
      const s = await e.open(PROMPT);
      await expect(s.hidden([-1])).rejects.toThrow(/--enable-return-hidden-states/);
      await s.close();
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

describe('eval through SGLang equals eval on the embedded engine', () => {
  const rowsOf = async (engine: LlamaCppEngine | SglangEngine, tag: string): Promise<EvalRow[]> => {
    const out = await mkdtemp(join(tmpdir(), `lynx-sglang-${tag}-`));
    const res = await runEval({
      engine,
      bundle: BUNDLE,
      methods: parseMethodSpecs('vanilla,lynx:delta=0.1,deer'),
      datasets: [{ task: 'testbed-arith', split: 'heldout', slice: 'test', limit: 30, dataSeed: 42 }],
      temperatures: [0],
      seeds: [1],
      maxTokens: 400,
      labels: false,
      out,
    });
    return res.rows;
  };
  const essence = (r: EvalRow) => ({
    label: r.label,
    problemId: r.problemId,
    answer: r.answer,
    answerText: r.answerText,
    correct: r.correct,
    counts: r.counts,
    exit: r.exit,
    finish: r.finish,
    // The probe's p is compared apart, within a tolerance: the server computes the cue's state in
    // a one-token evaluation, the embedded engine in the decode stream, and they round differently.
    // So are DEER's confidences (means of the trial's token probabilities).
    cueEvents: r.cueEvents.map(({ p, details, ...c }) => ({
      ...c,
      hasP: p !== undefined,
      details:
        details && Object.fromEntries(Object.entries(details).filter(([, v]) => typeof v !== 'number')),
    })),
    trials: r.trials,
  });

  it('same answers, token counts and exits for vanilla, LYNX and DEER on 30 held-out problems (greedy)', async () => {
    const embedded = await rowsOf(local, 'local');
    const before = wire.trace.length;
    const statsBefore = { ...remote.stats };
    const served = await rowsOf(remote, 'remote');
    expect(served).toHaveLength(90);
    const key = (r: EvalRow) => `${r.label}/${r.problemId}`;
    const byKey = new Map(embedded.map((r) => [key(r), r]));
    let maxPDiff = 0;
    for (const r of served) {
      const e = byKey.get(key(r)) as EvalRow;
      expect(essence(r)).toEqual(essence(e));
      r.cueEvents.forEach((c, i) => {
        if (c.p !== undefined) maxPDiff = Math.max(maxPDiff, Math.abs(c.p - (e.cueEvents[i].p as number)));
        for (const [k, v] of Object.entries(c.details ?? {}))
          if (typeof v === 'number' && k !== 'check')
            maxPDiff = Math.max(maxPDiff, Math.abs(v - (e.cueEvents[i].details?.[k] as number)));
      });
    }
    expect(maxPDiff).toBeLessThan(5e-3);
    const lynxExits = served.filter((r) => r.label.startsWith('lynx') && r.exit.reason === 'cue-exit').length;
    expect(lynxExits).toBeGreaterThan(0);

    // Requests: one per cue segment (plus one hidden-state read per LYNX cue), one per trial and
    // forced exit, and the final answer; never one per token.
    const requests = wire.trace.length - before;
    let bound = 0;
    let tokens = 0;
    for (const r of served) {
      const segments = r.cueEvents.length + 1;
      const probes = r.label.startsWith('lynx') ? r.cueEvents.length : 0;
      bound += segments + probes + r.trials + 2;
      tokens += r.counts.total;
    }
    expect(requests).toBeLessThanOrEqual(bound);
    expect(requests).toBeLessThan(tokens / 4);
    // Hidden-state vectors: one per LYNX cue read, never one per generated token.
    const cuesRead = served
      .filter((r) => r.label.startsWith('lynx'))
      .reduce((s, r) => s + r.cueEvents.filter((c) => c.p !== undefined).length, 0);
    const vectors = remote.stats.hiddenVectors - statsBefore.hiddenVectors;
    expect(remote.stats.hiddenRequests - statsBefore.hiddenRequests).toBe(cuesRead);
    expect(vectors).toBeLessThanOrEqual(2 * cuesRead);
  }, 300_000);
});
