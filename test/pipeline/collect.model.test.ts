import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { collectEvents } from '../../src/pipeline/collect.ts';
import { eventsPaths, readEvents } from '../../src/pipeline/events.ts';
import type { WorkProblem } from '../../src/pipeline/problems.ts';
import { buildTestModel, CYCLE_THINKING, type TestModel } from '../../src/testing/testModels.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'lynx-collect-'));
let cycle: TestModel;
let random: TestModel;
beforeAll(async () => {
  cycle = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
  random = await buildTestModel({ kind: 'random', arch: 'qwen2', tokenizer: 'bpe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problem = (id: string, gold: string): WorkProblem => ({
  id,
  task: 'unit',
  messages: [{ role: 'user', content: 'What is two plus two?' }],
  gold,
  kind: 'gsm8k',
});

const quiet = { temperature: 0, topP: 1, seed: 0, samples: 1, layers: [-1] };

describe('collect', () => {
  it('labels a forced exit at every cue against gold; features are the hidden state of the cue token', async () => {
    const engine = await LlamaCppEngine.load(cycle.path, { threads: 1, contextSize: 512 });
    try {
      const out = path.join(dir, 'greedy');
      const s = await collectEvents(engine, [problem('four', '4'), problem('five', '5')], {
        ...quiet,
        out,
        maxTokens: 100,
        exitMaxTokens: 8,
      });
      expect(s.rolloutsWritten).toBe(2);
      const d = readEvents(out);
      // Greedy decoding follows the cycle: cues are the thinking words holding a lexicon word.
      const cuePositions = CYCLE_THINKING.flatMap((w, i) => (/hmm|wait|alternatively/i.test(w) ? [i] : []));
      for (const id of ['four', 'five']) {
        const evs = d.events.filter((e) => e.problemId === id);
        expect(evs.map((e) => e.position)).toEqual(cuePositions);
        expect(evs.map((e) => e.cueIndex)).toEqual(cuePositions.map((_, i) => i));
        // The forced exit answers "4}" (then end of turn) at every cue of the cycle.
        for (const e of evs) {
          expect(e.forcedAnswer).toBe('4}');
          expect(e.label).toBe(id === 'four' ? 1 : 0);
          expect(e.usedTokens).toBe(
            e.position + engine.tokenize(d.meta.exitCue, { special: true }).length + e.forcedTokens,
          );
        }
      }
      expect(d.rollouts.map((r) => r.correct)).toEqual([true, false]);
      // Feature of event i = final-norm state after prompt + generated tokens up to and including the cue token.
      const prompt = engine.tokenize(engine.formatChat(problem('x', '4').messages), { special: true });
      const generated = CYCLE_THINKING.map((w) => cycle.ids[w]);
      for (const [i, e] of d.events.slice(0, 3).entries()) {
        const session = await engine.open([...prompt, ...generated.slice(0, e.position + 1)]);
        const [h] = await session.hidden([-1]);
        await session.close();
        const row = d.X.subarray(i * d.dim, (i + 1) * d.dim);
        let maxDiff = 0;
        for (let j = 0; j < d.dim; j++) maxDiff = Math.max(maxDiff, Math.abs(row[j] - h[j]));
        expect(maxDiff).toBeLessThan(1e-3);
      }
    } finally {
      await engine.dispose();
    }
  });

  it("adds LYNX's synthetic event at 70% of a rollout without cues only when asked", async () => {
    const engine = await LlamaCppEngine.load(random.path, { threads: 1, contextSize: 256 });
    try {
      const problems = ['a', 'b', 'c', 'd'].map((id) => problem(id, '4'));
      const opts = { ...quiet, temperature: 1, seed: 3, samples: 2, maxTokens: 12, exitMaxTokens: 4 };
      const withSynth = path.join(dir, 'synth');
      const s = await collectEvents(engine, problems, { ...opts, out: withSynth, syntheticNoCue: true });
      const without = path.join(dir, 'nosynth');
      await collectEvents(engine, problems, { ...opts, out: without });
      const d = readEvents(withSynth);
      const plain = readEvents(without);
      expect(s.synthetic).toBeGreaterThan(0);
      for (const r of d.rollouts) {
        const evs = d.events.filter((e) => e.problemId === r.problemId && e.rollout === r.rollout);
        const real = plain.events.filter((e) => e.problemId === r.problemId && e.rollout === r.rollout);
        // Same rollouts either way (the synthetic pass does not disturb sampling).
        expect(evs.filter((e) => !e.synthetic).map((e) => e.position)).toEqual(real.map((e) => e.position));
        if (real.length > 0) {
          expect(evs.every((e) => !e.synthetic)).toBe(true);
        } else {
          expect(evs).toHaveLength(1);
          expect(evs[0].synthetic).toBe(true);
          expect(evs[0].position).toBe(Math.max(1, Math.floor(0.7 * r.tokens)) - 1);
        }
      }
      expect(plain.events.every((e) => !e.synthetic)).toBe(true);
    } finally {
      await engine.dispose();
    }
  });

  it('resumes after being killed mid-run (3 rollouts at a time): the final store equals an uninterrupted serial run exactly', async () => {
    const args = (out: string, parallel = '1') => [
      'collect',
      '--model',
      cycle.path,
      '--dataset',
      'testbed-arith',
      '--limit',
      '4',
      '--samples',
      '3',
      '--max-tokens',
      '150',
      '--exit-max-tokens',
      '6',
      '--seed',
      '11',
      '--threads',
      '1',
      '--context-size',
      '512',
      '--no-progress',
      '--parallel',
      parallel,
      '--out',
      out,
    ];
    const quietMain = async (argv: string[]) => {
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        return await main(argv);
      } finally {
        vi.restoreAllMocks();
      }
    };
    const reference = path.join(dir, 'reference');
    expect(await quietMain(args(reference))).toBe(0);

    const killed = path.join(dir, 'killed');
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/lynx-exit.mjs'), ...args(killed, '3')], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const jsonl = eventsPaths(killed).jsonl;
    const doneLines = () =>
      existsSync(jsonl) ? (readFileSync(jsonl, 'utf8').match(/"type":"done"/g) ?? []).length : 0;
    const deadline = Date.now() + 90_000;
    while (doneLines() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const partial = readEvents(killed);
    const full = readEvents(reference);
    expect(partial.rollouts.length).toBeGreaterThanOrEqual(2);
    expect(partial.rollouts.length).toBeLessThan(full.rollouts.length); // really interrupted

    expect(await quietMain(args(killed, '3'))).toBe(0);
    const a = eventsPaths(reference);
    const b = eventsPaths(killed);
    expect(readFileSync(b.jsonl).equals(readFileSync(a.jsonl))).toBe(true);
    expect(readFileSync(b.f32).equals(readFileSync(a.f32))).toBe(true);
    const resumed = readEvents(killed);
    expect(resumed.events.length).toBe(full.events.length);
    expect(resumed.events.length).toBeGreaterThan(0);
    const { createdAt: _a, ...metaA } = full.meta;
    const { createdAt: _b, ...metaB } = resumed.meta;
    expect(metaB).toEqual(metaA);
  }, 180_000);
});
