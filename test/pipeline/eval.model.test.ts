// runEval end to end on the cycle test model in llama.cpp. Its greedy chain is known (cues at
// thinking tokens 5, 10, 11, 12, 15, 16; answer \boxed{4}), and it is so peaked that sampling at
// T ≤ 1 follows it too, so every number below can be derived by hand.
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../src/bundle/Bundle.ts';
import { saveBundle } from '../../src/bundle/io.ts';
import { runEvalCommand } from '../../src/cli/commands/eval.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { UserError } from '../../src/errors.ts';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { type EvalRow, instanceKey, LABELS_ROW } from '../../src/pipeline/eval/row.ts';
import { type EvalOptions, type EvalResult, runEval } from '../../src/pipeline/eval/runEval.ts';
import { mean, wilsonInterval } from '../../src/pipeline/eval/stats.ts';
import { decodedTokens } from '../../src/pipeline/eval/summary.ts';
import { buildTestModel, type TestModel } from '../../src/testing/testModels.ts';
import { cycleBundle, cycleProblems } from './evalHelpers.ts';

const CUES = [5, 10, 11, 12, 15, 16];
const METHODS = 'vanilla,lynx:delta=0.1,lynx:delta=0.3,deer,oracle';

let model: TestModel;
let engine: LlamaCppEngine;
let bundle: Bundle;
let dir: string;
let options: EvalOptions;
let first: EvalResult;

beforeAll(async () => {
  model = await buildTestModel({ kind: 'cycle' });
  engine = await LlamaCppEngine.load(model.path, { threads: 1, contextSize: 1024 });
  bundle = cycleBundle(engine);
  dir = await mkdtemp(join(tmpdir(), 'lynx-eval-'));
  options = {
    engine,
    bundle,
    methods: parseMethodSpecs(METHODS),
    datasets: [{ task: 'cycle', problems: cycleProblems(4) }],
    temperatures: [0, 0.8],
    seeds: [1, 2],
    maxTokens: 200,
    out: join(dir, 'a'),
  };
  first = await runEval(options);
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

const runs = (rows: EvalRow[], label: string) => rows.filter((r) => r.label === label);

describe('runEval rows', () => {
  it('writes one row per method and label pass for every (problem, temperature, seed)', () => {
    expect(first.written).toBe(4 * 2 * 2 * 6);
    expect(first.skipped).toBe(0);
    const lines = readFileSync(first.paths.results, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(first.rows);
    // The label pass comes first on each instance; the methods follow in a per-instance shuffled order.
    const labels = new Set(first.rows.map((r) => r.label));
    expect([...labels][0]).toBe(LABELS_ROW);
    expect([...labels].sort()).toEqual(
      [LABELS_ROW, 'vanilla', 'lynx:delta=0.1', 'lynx:delta=0.3', 'deer', 'oracle'].sort(),
    );
  });

  it('counts add up, exit offsets match the kept text, grading follows the gold answer', () => {
    for (const r of first.rows) {
      const c = r.counts;
      expect(c.total).toBe(c.thinking + c.probe + c.answer);
      expect(c.used).toBe(c.keptThinking + c.exitCue + c.answer);
      expect(r.exit.char).toBe(r.thinkingText.length);
      expect(r.correct).toBe(r.gold === '4'); // the model always answers 4
      expect(r.answer).toBe('4');
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.decodeMs);
    }
  });

  it('methods of one instance share the sampling seed and the sampled prefix', () => {
    const byInstance = new Map<string, EvalRow[]>();
    for (const r of first.rows)
      byInstance.set(instanceKey(r), [...(byInstance.get(instanceKey(r)) ?? []), r]);
    expect(byInstance.size).toBe(16);
    const seedsByProblem = new Map<string, Set<number>>();
    for (const list of byInstance.values()) {
      const ref = list.find((r) => r.kind === 'labels')!;
      for (const r of list) {
        expect(r.sampleSeed).toBe(ref.sampleSeed);
        expect(ref.thinkingText.startsWith(r.thinkingText)).toBe(true);
      }
      const s = seedsByProblem.get(ref.problemId) ?? new Set();
      s.add(ref.sampleSeed);
      seedsByProblem.set(ref.problemId, s);
    }
    // Different run seeds give different sampling seeds.
    for (const s of seedsByProblem.values()) expect(s.size).toBe(2);
  });

  it('each method behaves as configured on the known chain', () => {
    for (const r of runs(first.rows, LABELS_ROW)) {
      expect(r.cueEvents.map((e) => e.position)).toEqual(CUES);
      expect(r.cueEvents.every((e) => e.details?.correct === (r.gold === '4'))).toBe(true);
    }
    const vanilla = runs(first.rows, 'vanilla');
    const never = runs(first.rows, 'lynx:delta=0.1');
    never.forEach((r, i) => {
      // A bundle that never exits leaves the run as vanilla (and scores every cue).
      expect(r.exit.reason).toBe('natural-end');
      expect(r.counts.total).toBe(vanilla[i].counts.total);
      expect(r.cueEvents.every((e) => typeof e.p === 'number')).toBe(true);
    });
    for (const r of runs(first.rows, 'lynx:delta=0.3')) {
      expect(r.exit).toMatchObject({ reason: 'cue-exit', position: CUES[0], cueEvent: 0 });
    }
    for (const r of runs(first.rows, 'oracle')) {
      expect(r.exit.reason).toBe(r.gold === '4' ? 'cue-exit' : 'natural-end');
    }
  });
});

describe('summary', () => {
  it('accuracy, intervals and token means are those of the rows', () => {
    const s = first.summary;
    expect(s.groups).toHaveLength(5 * 2);
    for (const g of s.groups) {
      const rows = first.rows.filter(
        (r) => r.kind === 'run' && r.label === g.label && r.temperature === g.temperature,
      );
      expect(g.n).toBe(rows.length);
      expect(g.accuracy).toBe(mean(rows.map((r) => Number(r.correct))));
      expect(g.ci95).toEqual(wilsonInterval(g.correct, g.n));
      expect(g.tokens.decoded).toBeCloseTo(mean(rows.map(decodedTokens)), 12);
      expect(g.tokens.used).toBeCloseTo(mean(rows.map((r) => r.counts.used)), 12);
      expect(g.bySeed.map((b) => b.n)).toEqual([4, 4]);
    }
    expect(JSON.parse(readFileSync(first.paths.summary, 'utf8'))).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it('savings are paired with vanilla on the same instances', () => {
    for (const g of first.summary.groups) {
      if (g.label === 'vanilla') {
        expect(g.savingsVsVanilla).toBeNull();
        continue;
      }
      const rows = first.rows.filter((r) => r.label === g.label && r.temperature === g.temperature);
      const v = new Map(runs(first.rows, 'vanilla').map((r) => [instanceKey(r), r]));
      const m = rows.reduce((n, r) => n + decodedTokens(r), 0);
      const base = rows.reduce((n, r) => n + decodedTokens(v.get(instanceKey(r))!), 0);
      expect(g.savingsVsVanilla?.pairs).toBe(8);
      expect(g.savingsVsVanilla?.tokens).toBeCloseTo(1 - m / base, 12);
    }
    const strict = first.summary.groups.find((g) => g.label === 'lynx:delta=0.1')!;
    expect(strict.savingsVsVanilla?.tokens).toBe(0);
    const eager = first.summary.groups.find((g) => g.label === 'lynx:delta=0.3')!;
    // Vanilla decodes 21 thinking + 7 answer tokens; LYNX at the first cue 6 thinking + 3 answer.
    expect(eager.tokens.decoded).toBe(9);
    expect(eager.savingsVsVanilla?.tokens).toBeCloseTo(1 - 9 / 28, 12);
    expect(eager.exits.early).toBe(1);
  });

  it('premature-exit rate: exits at label-0 cues over label-0 cues met', () => {
    const g = (label: string) => first.summary.groups.find((x) => x.label === label && x.temperature === 0)!;
    // Half the instances have gold 5, so every cue there is label 0.
    expect(g('vanilla').premature).toMatchObject({ wrongCues: 4 * 6, exitsAtWrongCues: 0, rate: 0 });
    expect(g('lynx:delta=0.3').premature).toMatchObject({
      wrongCues: 4,
      exitsAtWrongCues: 4,
      rate: 1,
      wrongExitRate: 0.5,
    });
    expect(g('oracle').premature).toMatchObject({ exitsAtWrongCues: 0, rate: 0 });
    expect(g('vanilla').premature.unlabelledCues).toBe(0);
  });

  it('prints an aligned table with a line per group', () => {
    const lines = first.table.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 10);
    expect(new Set(lines.map((l) => l.length)).size).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^method\s+dataset\s+slice\s+T\s+n\s+accuracy/);
  });
});

describe('resume', () => {
  it('skips rows already written; a torn last row is redone', async () => {
    const size = statSync(first.paths.results).size;
    const again = await runEval(options);
    expect(again.written).toBe(0);
    expect(again.skipped).toBe(96);
    expect(statSync(first.paths.results).size).toBe(size);

    // A crash in the middle of writing the last row: only that row is lost and redone.
    const lines = readFileSync(first.paths.results, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!) as EvalRow;
    truncateSync(first.paths.results, size - 40);
    const third = await runEval(options);
    expect(third.recoveredBytes).toBe(Buffer.byteLength(lines.at(-1)!) + 1 - 40);
    expect(third.written).toBe(1);
    const redone = third.rows.find((r) => r.label === last.label && instanceKey(r) === instanceKey(last))!;
    expect({ ...redone, timings: null }).toEqual({ ...last, timings: null });
    expect(readFileSync(first.paths.results, 'utf8').trimEnd().split('\n')).toHaveLength(96);
  });

  it('a new method adds only its rows; other settings in the same folder are refused', async () => {
    const more = await runEval({ ...options, methods: parseMethodSpecs(`${METHODS},no-thinking`) });
    expect(more.written).toBe(16);
    expect(more.summary.groups).toHaveLength(6 * 2);
    await expect(runEval({ ...options, maxTokens: 100 })).rejects.toThrow(/maxTokens = 200, not 100/);
  });

  it('rejects a lynx method without a bundle and unknown options up front', async () => {
    await expect(runEval({ ...options, bundle: undefined, out: join(dir, 'b') })).rejects.toThrow(
      /needs a bundle/,
    );
    await expect(
      runEval({ ...options, methods: parseMethodSpecs('deer:delta=0.1'), out: join(dir, 'c') }),
    ).rejects.toThrow(UserError);
  });
});

describe('eval command', () => {
  it('runs on testbed tasks from the registry and writes results, summary and report', async () => {
    const bundlePath = join(dir, 'cycle.lynx.json');
    await saveBundle(bundlePath, bundle);
    const out: string[] = [];
    const err: string[] = [];
    const res = await runEvalCommand(
      {
        model: model.path,
        bundle: bundlePath,
        datasets: 'arith',
        methods: 'vanilla,lynx:delta=0.3',
        temperatures: [0.6],
        seeds: [3],
        limit: 2,
        dataSeed: 42,
        maxTokens: 100,
        exitMaxTokens: 16,
        topP: 0.95,
        topK: 0,
        labels: false,
        tune: false,
        tolerance: 1,
        reportTraces: 10,
        out: join(dir, 'cli'),
        threads: 1,
        contextSize: 1024,
        chatFormat: 'auto',
        progress: true,
        parallel: 1,
      },
      (t) => out.push(t),
      (t) => err.push(t),
    );
    expect(res.written).toBe(4);
    expect(res.rows.every((r) => r.dataset === 'testbed-arith')).toBe(true);
    expect(out.join('')).toContain('lynx:delta=0.3  testbed-arith');
    expect(err.join('')).toMatch(/\[eval\] 4\/4 \(100%\)/);
    expect(readFileSync(res.paths.report, 'utf8')).toContain('<svg');
  }, 60_000);
});
