/**
 * Pipeline benchmarks: events store write / read throughput at a real model's feature width
 * (1536 = DeepSeek-R1-Distill-Qwen-1.5B's final layer), and collect throughput on the tiny cycle model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fingerprintOf } from '../src/bundle/fingerprint.ts';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import { collectEvents } from '../src/pipeline/collect.ts';
import { EventsWriter, type NewEvent, readEvents } from '../src/pipeline/events.ts';
import { loadProblems } from '../src/pipeline/problems.ts';
import { SeededRandom } from '../src/random/SeededRandom.ts';
import { buildTestModel } from '../src/testing/testModels.ts';

/** Writes `rollouts` × `perRollout` rows of `dim` floats, then reads them back; returns MB/s both ways. */
function storeThroughput(dir: string, dim: number, rollouts: number, perRollout: number) {
  const prefix = path.join(dir, `store-${dim}`);
  const rng = new SeededRandom(1);
  const features = Float32Array.from({ length: dim }, () => rng.normal());
  const writer = EventsWriter.open(prefix, {
    dim,
    layers: [-1],
    model: {
      id: 'bench',
      fingerprint: fingerprintOf({ architecture: 'qwen2', layers: 28, hiddenSize: dim, vocab: ['a'] }),
    },
    exitCue: '</think> Final Answer: \\boxed{',
    cues: { lexicon: ['hmm', 'wait', 'alternatively'], mode: 'substring' },
    settings: {},
  });
  const event = (problemId: string, cueIndex: number): NewEvent => ({
    task: 'bench',
    problemId,
    rollout: 0,
    cueIndex,
    position: cueIndex * 50,
    cue: 'wait',
    cueText: 'Wait',
    synthetic: false,
    label: (cueIndex % 2) as 0 | 1,
    forcedAnswer: '42}',
    forcedTokens: 3,
    forcedStoppedBy: 'eos',
    usedTokens: cueIndex * 50 + 12,
    gold: '42',
    rolloutTokens: 3000,
    rolloutThinkingTokens: 2900,
    features,
  });
  const t0 = performance.now();
  for (let r = 0; r < rollouts; r++) {
    writer.appendRollout(
      Array.from({ length: perRollout }, (_, c) => event(`p${r}`, c)),
      {
        task: 'bench',
        problemId: `p${r}`,
        rollout: 0,
        seed: 1,
        tokens: 3000,
        thinkingTokens: 2900,
        exitReason: 'natural-end',
        finish: 'eos',
        answer: '\\boxed{42}',
        correct: true,
        gold: '42',
      },
    );
  }
  writer.close();
  const t1 = performance.now();
  const d = readEvents(prefix);
  const t2 = performance.now();
  const mb = (d.X.length * 4) / 1e6;
  return {
    dim,
    rows: d.events.length,
    megabytes: mb,
    writeMBps: mb / ((t1 - t0) / 1000),
    readMBps: mb / ((t2 - t1) / 1000),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lynx-bench-pipeline-'));
  try {
    const store = storeThroughput(dir, 1536, 200, 25);
    console.log(
      `events store: ${store.rows} rows x ${store.dim} floats (${store.megabytes.toFixed(1)} MB): write ${store.writeMBps.toFixed(0)} MB/s (fsync per rollout), read ${store.readMBps.toFixed(0)} MB/s`,
    );
    const model = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
    const engine = await LlamaCppEngine.load(model.path, { threads: 1, contextSize: 512 });
    try {
      const problems = loadProblems({ dataset: 'testbed-arith', limit: 8 });
      const s = await collectEvents(engine, problems, {
        out: path.join(dir, 'collect'),
        layers: [-1],
        samples: 2,
        temperature: 0.6,
        topP: 0.95,
        seed: 0,
        maxTokens: 150,
        exitMaxTokens: 8,
      });
      const perRollout = s.seconds / s.rolloutsWritten;
      console.log(
        `collect (tiny cycle model, 1 thread): ${s.rolloutsWritten} rollouts, ${s.events} events in ${s.seconds.toFixed(1)}s = ${(s.events / s.seconds).toFixed(1)} events/s, ${perRollout.toFixed(2)} s/rollout`,
      );
      return {
        store,
        collect: {
          rollouts: s.rolloutsWritten,
          events: s.events,
          seconds: s.seconds,
          eventsPerSecond: s.events / s.seconds,
        },
      };
    } finally {
      await engine.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
