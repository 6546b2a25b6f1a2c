import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBundle } from '../../src/bundle/io.ts';
import { main } from '../../src/cli/main.ts';
import { UserError } from '../../src/errors.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import { fitBundle } from '../../src/pipeline/fit.ts';
import { fakeFingerprint, writeSyntheticStore } from './syntheticEvents.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lynx-fit-'));
const train = path.join(dir, 'train');
const calib = path.join(dir, 'calib');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  writeSyntheticStore({ prefix: train, first: 0, problems: 150, rollouts: 2, seed: 1 });
  writeSyntheticStore({ prefix: calib, first: 1000, problems: 150, rollouts: 2, seed: 2 });
});

const base = { train, calib, deltas: [0.05, 0.1, 0.2], alphas: [0.1, 0.2], epsilon: 0.1, seed: 0 };

describe('fit', () => {
  it('learns the planted signal, calibrates, and writes a bundle that loads and decides', async () => {
    const r = fitBundle({ ...base, probe: 'logreg', deltas: [...base.deltas], alphas: [...base.alphas] });
    // Label = [x0 + 0.3 noise > 0]: the best score x0 has AUROC ≈ 0.94; a fitted probe must come close.
    expect(r.calibAuroc).toBeGreaterThan(0.9);
    expect(r.valAuroc).toBeGreaterThan(0.85);
    expect(r.train.valProblems).toBe(30); // 20% of 150 problems, by problem
    // Two rollouts per problem: one per problem enters the calibration, and fit says so.
    expect(r.calib.trajectories).toBe(150);
    expect(r.calib.subsampledProblems).toBe(150);
    expect(r.warnings.some((w) => /150 of 150 calibration problems have several rollouts/.test(w))).toBe(
      true,
    );
    // In-sample, the ⌈(n+1)(1−δ)⌉-th order statistic leaves fewer than n·δ label-0 scores above q0.
    for (const d of r.deltas) expect(d.prematureExitRate).toBeLessThanOrEqual(d.delta);
    // The probe separates the classes: label-1 events exit far more often than label-0 ones.
    for (const d of r.deltas) expect(d.exitRateLabel1).toBeGreaterThan(d.prematureExitRate + 0.3);

    const file = path.join(dir, 'b.lynx.json');
    const { saveBundle } = await import('../../src/bundle/io.ts');
    await saveBundle(file, r.bundle);
    const b = await loadBundle(file, { expectFingerprint: fakeFingerprint() });
    expect(b.data.features).toEqual({ layers: [-1], dim: 8 });
    expect(b.data.conformal.perClass.map((q) => q.delta)).toEqual([0.05, 0.1, 0.2]);
    expect(b.data.conformal.scores?.p.length).toBe(r.calib.perEventN0 + r.calib.perEventN1);
    expect(new Set(b.data.conformal.scores?.trajectory).size).toBe(150);
    expect(b.data.provenance.warnings).toEqual(r.warnings);
    // Decisions follow the planted direction: a large x0 exits at δ = 0.2, a very negative one never.
    const hi = new Float32Array(8);
    hi[0] = 4;
    const lo = new Float32Array(8);
    lo[0] = -4;
    expect(b.decide(hi, { delta: 0.2 }).exit).toBe(true);
    expect(b.decide(lo, { delta: 0.2 }).exit).toBe(false);
    // A level not in the list is derived from the stored scores and agrees with a stored one's rule.
    expect(b.perClassFor(0.15).q0).toBeGreaterThanOrEqual(b.perClassFor(0.2).q0);
    await expect(loadBundle(file, { expectFingerprint: fakeFingerprint(['x', 'y', 'z']) })).rejects.toThrow(
      /made for/,
    );
  });

  it('trains the MLP probe too', () => {
    const r = fitBundle({ ...base, probe: 'mlp', deltas: [0.1], alphas: [0.1] });
    expect(r.calibAuroc).toBeGreaterThan(0.88);
    expect(r.bundle.data.probe.classifier.kind).toBe('mlp');
  });

  it('trajectory thresholds control the wrong-exit rate on the calibration trajectories', () => {
    const r = fitBundle({ ...base, probe: 'logreg', deltas: [], alphas: [0.1, 0.2] });
    for (const a of r.alphas) {
      expect(a.certified).toBe(true);
      // Certified at confidence 1−ε: the empirical risk sits below α.
      expect(a.empiricalRisk).toBeLessThan(a.alpha);
    }
    expect(r.alphas[1].lambda).toBeLessThanOrEqual(r.alphas[0].lambda);
  });

  it('refuses overlapping problems, one-class sets, feature and model mismatches with UserErrors', () => {
    const overlap = path.join(dir, 'overlap');
    writeSyntheticStore({ prefix: overlap, first: 140, problems: 20, seed: 3 });
    const attempt = (o: Partial<typeof base>) => () =>
      fitBundle({ ...base, probe: 'logreg', deltas: [0.1], alphas: [], ...o });
    expect(attempt({ calib: overlap })).toThrow(UserError);
    expect(attempt({ calib: overlap })).toThrow(/share 10 problem\(s\) \(e\.g\. synthetic:p140/);

    const ones = path.join(dir, 'ones');
    writeSyntheticStore({ prefix: ones, first: 2000, problems: 10, seed: 4, constantLabel: 1 });
    expect(attempt({ calib: ones })).toThrow(/only label 1/);
    expect(attempt({ train: ones, calib })).toThrow(/training events .* only label 1/);

    const wide = path.join(dir, 'wide');
    writeSyntheticStore({ prefix: wide, first: 3000, problems: 10, seed: 5, dim: 12 });
    expect(attempt({ calib: wide })).toThrow(/feature mismatch: training events have dim 8/);

    const other = path.join(dir, 'other');
    const fingerprint = fakeFingerprint(['q', 'r', 's']);
    writeSyntheticStore({
      prefix: other,
      first: 4000,
      problems: 10,
      seed: 6,
      meta: { model: { id: 'other.gguf', fingerprint } },
    });
    expect(attempt({ calib: other })).toThrow(
      /come from fake.gguf .* but calibration events .* from other.gguf/,
    );
    expect(attempt({ deltas: [1.5] })).toThrow(UserError);
  });

  it('runs from the CLI, printing AUROCs and in-sample premature-exit rates', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((t) => {
      out += String(t);
      return true;
    });
    const file = path.join(dir, 'cli.lynx.json');
    const code = await main([
      'fit',
      '--train',
      `${train}.jsonl`,
      '--calib',
      calib,
      '--probe',
      'logreg',
      '--deltas',
      '0.1,0.2',
      '--alphas',
      '0.1',
      '--out',
      file,
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(out).toMatch(/probe AUROC: train 0\.9\d+, validation 0\.\d+, calibration 0\.9\d+/);
    expect(out).toMatch(/delta 0.1: .* premature exits 0\.\d+ of label-0 events/);
    expect(out).toMatch(/in-sample/);
    const b = await loadBundle(file);
    expect(b.data.provenance.train).toMatchObject({ dataset: 'synthetic', problems: 150, probe: 'logreg' });
    expect(b.data.provenance.calibration).toMatchObject({ problems: 150, trajectories: 150 });
    expect(out).toMatch(/150 trajectories \(one rollout per problem, drawn for 150 problems\)/);
    expect(out).toMatch(/warning: 150 of 150 calibration problems have several rollouts/);
    // The stored scores are the kept rollouts' events: about half the store's.
    const stored = b.data.conformal.scores?.y.length ?? 0;
    expect(stored).toBeGreaterThan(0.3 * readEvents(calib).events.length);
    expect(stored).toBeLessThan(0.7 * readEvents(calib).events.length);
    // Bad lists are UserErrors naming the option.
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
      err += String(t);
      return true;
    });
    const bad = await main(['fit', '--train', train, '--calib', calib, '--deltas', '0.1,x', '--out', file]);
    vi.restoreAllMocks();
    expect(bad).not.toBe(0);
    expect(err).toMatch(/--deltas/);
  });
});
