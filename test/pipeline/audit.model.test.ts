// The audit replays the bundle's decision at every cue of full rollouts: its rates equal a direct
// count with Bundle.decide, a bundle that exits everywhere fails with exit 1, a store from another
// setup is refused, and on the testbed model the shipped bundle is audited end to end.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/bundle/io.ts';
import { auditEvents, clusteredRatio } from '../../src/pipeline/audit.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import { fitBundle } from '../../src/pipeline/fit.ts';
import { runCli } from '../runCli.ts';
import { writeSyntheticStore } from './syntheticEvents.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lynx-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = (name: string) => path.join(dir, name);

beforeAll(() => {
  writeSyntheticStore({ prefix: store('train'), first: 0, problems: 150, seed: 1 });
  writeSyntheticStore({ prefix: store('calib'), first: 1000, problems: 300, seed: 2 });
  writeSyntheticStore({ prefix: store('test'), first: 5000, problems: 400, seed: 3 });
  writeSyntheticStore({
    prefix: store('othercue'),
    first: 9000,
    problems: 20,
    seed: 4,
    meta: { exitCue: 'Final answer: ' },
  });
});

function fitSynthetic() {
  return fitBundle({
    train: store('train'),
    calib: store('calib'),
    probe: 'logreg',
    deltas: [0.1, 0.2],
    alphas: [0.1],
    epsilon: 0.1,
    seed: 0,
  }).bundle;
}

describe('audit', () => {
  it('per-event and trajectory rates equal a direct replay with Bundle.decide', () => {
    const bundle = fitSynthetic();
    const d = readEvents(store('test'));
    const r = auditEvents(d, bundle);
    expect(r.rollouts).toBe(400);
    expect(r.problems).toBe(400);
    for (const [i, delta] of [0.1, 0.2].entries()) {
      let k = 0;
      let n = 0;
      d.events.forEach((e, row) => {
        if (e.label !== 0) return;
        n++;
        if (bundle.decide(d.X.subarray(row * d.dim, (row + 1) * d.dim), { delta }).exit) k++;
      });
      expect(r.deltas[i].realized.k).toBe(k);
      expect(r.deltas[i].realized.n).toBe(n);
      // Exchangeable calibration and test draws: the rate holds (δ + 2 SE).
      expect(r.deltas[i].holds).toBe(true);
    }
    // Trajectory: the first cue with p >= λ decides each rollout.
    const byRollout = new Map<string, number[]>();
    d.events.forEach((e, row) => {
      const key = `${e.problemId}/${e.rollout}`;
      byRollout.set(key, [...(byRollout.get(key) ?? []), row]);
    });
    let wrong = 0;
    for (const rows of byRollout.values()) {
      rows.sort((a, b) => d.events[a].cueIndex - d.events[b].cueIndex);
      const hit = rows.find(
        (row) => bundle.decide(d.X.subarray(row * d.dim, (row + 1) * d.dim), { alpha: 0.1 }).exit,
      );
      if (hit !== undefined && d.events[hit].label === 0) wrong++;
    }
    expect(r.alphas[0].realized.k).toBe(wrong);
    expect(r.alphas[0].realized.n).toBe(400);
    expect(r.holds).toBe(true);
    expect(r.verdict).toMatch(/holds at every level \(3 of 3/);
  });

  it('the cluster-robust SE of a ratio matches the binomial SE for independent 0/1 clusters', () => {
    const clusters = Array.from({ length: 1000 }, (_, i) => ({ a: i % 5 === 0 ? 1 : 0, b: 1 }));
    const r = clusteredRatio(clusters);
    expect(r.value).toBeCloseTo(0.2, 12);
    // Binomial SE √(p(1−p)/n) times √(n/(n−1)).
    expect(r.se).toBeCloseTo(Math.sqrt((0.2 * 0.8) / 1000) * Math.sqrt(1000 / 999), 12);
    // Clustering widens it: the same rate in 100 clusters of 10 perfectly correlated events.
    const lumpy = clusteredRatio(Array.from({ length: 100 }, (_, i) => ({ a: i % 5 === 0 ? 10 : 0, b: 10 })));
    expect(lumpy.value).toBeCloseTo(0.2, 12);
    expect(lumpy.se).toBeGreaterThan(3 * r.se);
  });

  it('from the CLI: writes audit.json, calibration.svg and audit.html; a bundle that always exits fails with exit 1', async () => {
    const bundle = fitSynthetic();
    const good = path.join(dir, 'good.lynx.json');
    await saveBundle(good, bundle);
    const ok = await runCli([
      'audit',
      '--bundle',
      good,
      '--events',
      store('test'),
      '--out',
      path.join(dir, 'a1'),
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/delta 0\.1 \(every cue\)\s+\d+\/\d+\s+\d+\.\d%/);
    expect(ok.out).toMatch(/^audit: the guarantee holds at every level/m);
    for (const f of ['audit.json', 'calibration.svg', 'audit.html'])
      expect(existsSync(path.join(dir, 'a1', f))).toBe(true);
    expect(readFileSync(path.join(dir, 'a1', 'calibration.svg'), 'utf8')).toMatch(
      /^<svg[\s\S]*per trajectory/,
    );
    const json = JSON.parse(readFileSync(path.join(dir, 'a1', 'audit.json'), 'utf8'));
    expect(json.deltas).toHaveLength(2);

    // q0 = 0, q1 = ∞ at δ 0.2: the set is {1} at every cue, so every label-0 cue exits.
    const data = JSON.parse(readFileSync(good, 'utf8'));
    data.conformal.perClass[1] = { ...data.conformal.perClass[1], q0: 0, q1: 'Infinity' };
    const bad = path.join(dir, 'bad.lynx.json');
    writeFileSync(bad, JSON.stringify(data));
    const fail = await runCli([
      'audit',
      '--bundle',
      bad,
      '--events',
      store('test'),
      '--out',
      path.join(dir, 'a2'),
    ]);
    expect(fail.code).toBe(1);
    expect(fail.out).toMatch(/delta 0\.2 \(every cue\).*100\.0%.*EXCEEDS/);
    expect(fail.err).toMatch(/the guarantee FAILS at delta 0\.2 /);
    expect(existsSync(path.join(dir, 'a2', 'audit.html'))).toBe(true);

    // A store labelled with another exit text is not the bundle's setup.
    const other = await runCli([
      'audit',
      '--bundle',
      good,
      '--events',
      store('othercue'),
      '--out',
      path.join(dir, 'a3'),
    ]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/labelled with exit cue "Final answer: "/);
    const none = await runCli(['audit', '--bundle', good, '--out', path.join(dir, 'a4')]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/needs --model and --dataset/);
  });

  it('audits the shipped bundle on the testbed model: collects held-out test problems with the calibration settings', async () => {
    const out = path.join(dir, 'testbed');
    const r = await runCli([
      'audit',
      '--model',
      'models/testbed.gguf',
      '--bundle',
      'models/testbed.lynx.json',
      '--dataset',
      'testbed-arith',
      '--limit',
      '12',
      '--out',
      out,
      '--no-progress',
    ]);
    expect([0, 1]).toContain(r.code);
    const calibrated = JSON.parse(readFileSync('models/testbed.lynx.json', 'utf8')).provenance.calibration
      .collect;
    expect(r.err).toContain(
      `sampling as the bundle's calibration: temperature 0.6, top-p 0.95, top-k 0, max tokens ${calibrated.maxTokens}`,
    );
    const meta = JSON.parse(readFileSync(path.join(out, 'events.meta.json'), 'utf8'));
    expect(meta.settings).toMatchObject({
      dataset: 'testbed-arith',
      split: 'heldout',
      slice: 'test',
      temperature: 0.6,
    });
    expect(r.out).toMatch(/^12 problems, 12 rollouts/m);
    expect(r.out).toMatch(/warning: only \d+ label-0 cue events/);
  }, 120_000);
});
