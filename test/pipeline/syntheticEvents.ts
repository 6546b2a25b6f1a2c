/** Test helper: writes events stores with a planted signal through the real EventsWriter. */
import { fingerprintOf } from '../../src/bundle/fingerprint.ts';
import { EventsWriter, type NewEvent, type NewEventsMeta } from '../../src/pipeline/events.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

/** A fake model fingerprint (the vocabulary decides the hash). */
export function fakeFingerprint(vocab: string[] = ['a', 'b', 'c']) {
  return fingerprintOf({ architecture: 'qwen2', layers: 2, hiddenSize: 8, vocab });
}

/** Meta for a synthetic store of `dim` features. */
export function syntheticMeta(dim: number, overrides: Partial<NewEventsMeta> = {}): NewEventsMeta {
  return {
    dim,
    layers: [-1],
    model: { id: 'fake.gguf', fingerprint: fakeFingerprint() },
    exitCue: '</think> Final Answer: \\boxed{',
    cues: { lexicon: ['hmm', 'wait', 'alternatively'], mode: 'substring' },
    settings: { dataset: 'synthetic', temperature: 0.6 },
    ...overrides,
  };
}

/** Options of `writeSyntheticStore`. */
export interface SyntheticStoreOptions {
  prefix: string;
  /** Problem ids are `p<first>` .. `p<first+problems-1>`. */
  first: number;
  problems: number;
  rollouts?: number;
  /** Events per rollout: uniform in [1, maxEvents]. */
  maxEvents?: number;
  dim?: number;
  seed: number;
  /** Label noise: label = 1 iff x0 + noise·N(0,1) > 0. */
  noise?: number;
  /** Force every label to this value. */
  constantLabel?: 0 | 1;
  meta?: Partial<NewEventsMeta>;
}

/** The i-th synthetic event of a rollout (features drawn from rng; label from feature 0). */
function syntheticEvent(
  rng: SeededRandom,
  dim: number,
  o: SyntheticStoreOptions,
  problemId: string,
  rollout: number,
  cueIndex: number,
): NewEvent {
  const features = new Float32Array(dim);
  for (let j = 0; j < dim; j++) features[j] = rng.normal();
  const label = o.constantLabel ?? (features[0] + (o.noise ?? 0.3) * rng.normal() > 0 ? 1 : 0);
  return {
    task: 'synthetic',
    problemId,
    rollout,
    cueIndex,
    position: 10 * (cueIndex + 1),
    cue: 'wait',
    cueText: 'Wait',
    synthetic: false,
    label,
    forcedAnswer: label ? '4}' : '5}',
    forcedTokens: 2,
    forcedStoppedBy: 'eos',
    usedTokens: 10 * (cueIndex + 1) + 10,
    gold: '4',
    rolloutTokens: 100,
    rolloutThinkingTokens: 90,
    features,
  };
}

/** Writes a store; returns the number of events written. */
export function writeSyntheticStore(o: SyntheticStoreOptions): number {
  const dim = o.dim ?? 8;
  const rng = new SeededRandom(o.seed);
  const writer = EventsWriter.open(o.prefix, syntheticMeta(dim, o.meta));
  let n = 0;
  try {
    for (let i = o.first; i < o.first + o.problems; i++) {
      for (let r = 0; r < (o.rollouts ?? 1); r++) {
        const k = 1 + rng.int(o.maxEvents ?? 5);
        const events = Array.from({ length: k }, (_, c) => syntheticEvent(rng, dim, o, `p${i}`, r, c));
        writer.appendRollout(events, syntheticRollout(`p${i}`, r));
        n += k;
      }
    }
  } finally {
    writer.close();
  }
  return n;
}

/** A done-line summary for a synthetic rollout. */
export function syntheticRollout(problemId: string, rollout: number) {
  return {
    task: 'synthetic',
    problemId,
    rollout,
    seed: 7,
    tokens: 100,
    thinkingTokens: 90,
    exitReason: 'natural-end',
    finish: 'eos',
    answer: '\\boxed{4}',
    correct: true,
    gold: '4',
  };
}
