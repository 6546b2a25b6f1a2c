/** Shared setup of the eval tests: the cycle test model, a bundle for it, and problems it answers. */
import { Bundle } from '../../src/bundle/Bundle.ts';
import type { Engine } from '../../src/engine/types.ts';
import { engineFingerprint } from '../../src/pipeline/fingerprint.ts';
import type { WorkProblem } from '../../src/pipeline/problems.ts';
import { Probe } from '../../src/probe/Probe.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

/**
 * A real bundle for the engine's model whose decisions the test knows: at δ = 0.3 the set is {1}
 * at every cue (q1 = +∞, q0 = 0: exit at the first cue, as p > 0); at δ = 0.1 it is {0} (q0 = +∞: never exit).
 */
export function cycleBundle(engine: Engine): Bundle {
  const dim = engine.info.hiddenSize;
  const r = new SeededRandom(7);
  const x = Array.from({ length: 40 }, () => Float32Array.from({ length: dim }, () => r.normal()));
  const y = x.map((v) => (v[0] > 0 ? 1 : 0));
  const probe = Probe.fit(x, y, { kind: 'logistic' });
  return Bundle.create({
    model: { fingerprint: engineFingerprint(engine), id: engine.info.modelId },
    features: { layers: [-1], dim },
    cues: { lexicon: ['hmm', 'wait', 'alternatively'], mode: 'substring' },
    exitCue: '</think> Final Answer: \\boxed{',
    probe: probe.toJSON(),
    conformal: {
      perClass: [
        { delta: 0.3, q1: Number.POSITIVE_INFINITY, q0: 0, n1: 20, n0: 20 },
        { delta: 0.1, q1: 0, q0: Number.POSITIVE_INFINITY, n1: 20, n0: 20 },
      ],
      trajectory: [],
    },
    provenance: { train: { rows: 40, seed: 7 }, calibration: { rows: 40 }, metrics: {} },
  });
}

/** Problems the cycle model (which always answers \boxed{4}) gets right (gold 4) or wrong (gold 5). */
export function cycleProblems(n: number): WorkProblem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    task: 'cycle',
    messages: [{ role: 'user' as const, content: ' What two plus two?' }],
    gold: i % 2 === 0 ? '4' : '5',
    kind: 'math' as const,
  }));
}
