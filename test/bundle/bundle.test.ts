import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bundle } from '../../src/bundle/Bundle.ts';
import { fingerprintOf } from '../../src/bundle/fingerprint.ts';
import { loadBundle, saveBundle } from '../../src/bundle/io.ts';
import { MondrianConformal, shouldExit } from '../../src/conformal/MondrianConformal.ts';
import { TrajectoryCalibrator } from '../../src/conformal/TrajectoryCalibrator.ts';
import { UserError } from '../../src/errors.ts';
import { Probe } from '../../src/probe/Probe.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const DIM = 6;
const qwen = fingerprintOf({ architecture: 'qwen2', layers: 28, hiddenSize: 1536, vocab: ['a', 'b', 'c'] });
const llama = fingerprintOf({ architecture: 'llama', layers: 4, hiddenSize: 128, vocab: ['x', 'y'] });

function events(r: SeededRandom, n: number) {
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r.next() < 0.5 ? 1 : 0;
    x.push(Float32Array.from({ length: DIM }, (_, k) => r.normal() + (k < 2 && label ? 1.2 : 0)));
    y.push(label);
  }
  return { x, y };
}

let dir: string;
let bundle: Bundle;
let test: { x: Float32Array[]; y: number[] };
let calP: number[];
let calY: number[];
let calTraj: number[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lynx-bundle-'));
  const r = new SeededRandom(3);
  const train = events(r, 300);
  const cal = events(r, 400);
  test = events(r, 50);
  const probe = Probe.fit(train.x, train.y, { kind: 'logistic' });
  calP = Array.from(probe.predictProbaBatch(cal.x));
  calY = cal.y;
  calTraj = cal.y.map((_, i) => Math.floor(i / 4)); // 100 trajectories of 4 cues
  const m = new MondrianConformal(calP, calY);
  bundle = Bundle.create({
    model: { fingerprint: qwen, id: 'test-model' },
    features: { layers: [-1], dim: DIM },
    cues: { lexicon: ['hmm', 'wait', 'alternatively'], mode: 'substring' },
    exitCue: '</think> Final Answer: \\boxed{',
    probe: probe.toJSON(),
    conformal: {
      perClass: [...m.quantilesFor([0.05, 0.3]), { delta: 0.001, q1: Infinity, q0: Infinity, n1: 1, n0: 1 }],
      trajectory: [
        { alpha: 0.1, epsilon: 0.1, lambda: 0.8, n: 100 },
        { alpha: 0.01, epsilon: 0.1, lambda: Infinity, n: 100 },
      ],
    },
    provenance: { train: { rows: 300, seed: 3 }, calibration: { rows: 400 }, metrics: {} },
  });
});

describe('fingerprint', () => {
  it('hashes the vocabulary as sha256 of its JSON array', () => {
    const expected = createHash('sha256').update('["a","b","c"]').digest('hex');
    expect(qwen.vocabHash).toBe(`sha256:${expected}`);
    // Piece boundaries matter: ["ab","c"] ≠ ["a","bc"].
    const a = fingerprintOf({ architecture: 'x', layers: 1, hiddenSize: 1, vocab: ['ab', 'c'] });
    const b = fingerprintOf({ architecture: 'x', layers: 1, hiddenSize: 1, vocab: ['a', 'bc'] });
    expect(a.vocabHash).not.toBe(b.vocabHash);
  });
});

describe('bundle save / load', () => {
  it('round-trips exactly, +∞ thresholds included, and decides identically', async () => {
    const path = join(dir, 'ok.lynx.json');
    await saveBundle(path, bundle);
    const loaded = await loadBundle(path, { expectFingerprint: qwen });
    expect(loaded.data.conformal.perClass[2].q0).toBe(Number.POSITIVE_INFINITY);
    expect(loaded.data.conformal.trajectory[1].lambda).toBe(Number.POSITIVE_INFINITY);
    expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(bundle.toJSON()));
    for (const x of test.x) {
      for (const level of [{ delta: 0.05 }, { delta: 0.3 }, { alpha: 0.1 }] as const)
        expect(loaded.decide(x, level)).toEqual(bundle.decide(x, level));
      expect(loaded.decide(x, { delta: 0.001 }).exit).toBe(false); // q = +∞: never exit
      expect(loaded.decide(x, { alpha: 0.01 }).exit).toBe(false);
    }
  });

  it('names both models on a fingerprint mismatch', async () => {
    const path = join(dir, 'ok2.lynx.json');
    await saveBundle(path, bundle);
    const err = await loadBundle(path, { expectFingerprint: llama }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      /bundle was made for qwen2 28 layers hidden 1536 vocab 3\/[0-9a-f]{12}; this model is llama 4 layers hidden 128 vocab 2\/[0-9a-f]{12}/,
    );
    expect(err.message).toContain(path);
    // Same model with a different vocabulary also fails.
    const otherVocab = fingerprintOf({
      architecture: 'qwen2',
      layers: 28,
      hiddenSize: 1536,
      vocab: ['a', 'b', 'd'],
    });
    await expect(loadBundle(path, { expectFingerprint: otherVocab })).rejects.toThrow(/made for qwen2/);
  });

  it('bad files are UserErrors naming the path', async () => {
    const good = await readFile(join(dir, 'ok.lynx.json'), 'utf8');
    const cases: Array<[string, string | null, RegExp]> = [
      ['missing.lynx.json', null, /cannot read bundle .*missing.lynx.json: no such file/],
      ['trunc.lynx.json', good.slice(0, good.length / 2), /trunc.lynx.json is not valid JSON/],
      ['text.lynx.json', 'hello', /text.lynx.json is not valid JSON/],
      ['other.json', '{"format":"something-else"}', /other.json is not a lynx-exit bundle/],
      [
        'v2.lynx.json',
        good.replace('"version": 1', '"version": 2'),
        /v2.lynx.json has version 2; this lynx-exit reads version 1/,
      ],
      [
        'dims.lynx.json',
        good.replace(`"dim": ${DIM}`, '"dim": 7'),
        /dims.lynx.json: probe takes 6 features but features.dim is 7/,
      ],
      ['schema.lynx.json', good.replace('"exitCue"', '"exitCueX"'), /schema.lynx.json is malformed: exitCue/],
    ];
    for (const [name, content, re] of cases) {
      const path = join(dir, name);
      if (content !== null) await writeFile(path, content);
      const err = await loadBundle(path).catch((e) => e);
      expect(err, name).toBeInstanceOf(UserError);
      expect(err.message, name).toMatch(re);
    }
    await expect(loadBundle(dir)).rejects.toThrow(/it is a directory/);
  });
});

describe('Bundle.decide', () => {
  it('δ mode is the Mondrian rule: exit iff the set is {1}', () => {
    const q = bundle.data.conformal.perClass[0];
    let exits = 0;
    for (const x of test.x) {
      const d = bundle.decide(x, { delta: 0.05 });
      expect(d.p).toBe(bundle.probe.predictProba(x));
      expect(d.exit).toBe(shouldExit(d.p, q));
      expect(d.exit).toBe(d.set!.length === 1 && d.set![0] === 1);
      exits += d.exit ? 1 : 0;
    }
    expect(exits).toBeGreaterThan(0);
  });

  it('α mode exits iff p ≥ λ', () => {
    for (const x of test.x) {
      const d = bundle.decide(x, { alpha: 0.1 });
      expect(d.lambda).toBe(0.8);
      expect(d.exit).toBe(d.p >= 0.8);
    }
  });

  it('unknown δ / α lists what is available; with stored scores they are computed on the fly', () => {
    expect(() => bundle.decide(test.x[0], { delta: 0.2 })).toThrow(
      /no conformal thresholds for delta 0.2; available: 0.05, 0.3, 0.001/,
    );
    expect(() => bundle.decide(test.x[0], { alpha: 0.2 })).toThrow(
      /available: alpha 0.1\/epsilon 0.1, alpha 0.01\/epsilon 0.1/,
    );
    expect(() => bundle.decide(new Float32Array(3), { delta: 0.05 })).toThrow(/expects 6 features/);
    expect(() => bundle.decide(test.x[0], { delta: 1.5 })).toThrow(/delta must be in/);
    const withScores = new Bundle({
      ...bundle.data,
      conformal: {
        ...bundle.data.conformal,
        scores: { p: calP, y: calY as Array<0 | 1>, trajectory: calTraj },
      },
    });
    const q = new MondrianConformal(calP, calY).quantiles(0.2);
    const trajs = Array.from({ length: 100 }, (_, t) =>
      calP.slice(4 * t, 4 * t + 4).map((p, i) => ({ p, y: calY[4 * t + i] })),
    );
    const lambda = new TrajectoryCalibrator(trajs).certify(0.2, 0.1).lambda;
    for (const x of test.x) {
      const d = withScores.decide(x, { delta: 0.2 });
      expect(d.exit).toBe(shouldExit(d.p, q));
      expect(withScores.decide(x, { alpha: 0.2 }).lambda).toBe(lambda);
    }
  });
});
