/** The model fingerprint of a loaded engine, as stored in events meta files and bundles. */
import { type Fingerprint, fingerprintOf } from '../bundle/fingerprint.ts';
import type { Engine } from '../engine/types.ts';

/**
 * Fingerprints an engine's model from its architecture, sizes and every token piece. No probe
 * hash: hidden states differ slightly across thread counts and hardware, so an exact hash of them
 * would reject the same model run elsewhere.
 */
export function engineFingerprint(engine: Engine): Fingerprint {
  const { architecture, layers, hiddenSize, vocabSize } = engine.info;
  const vocab = Array.from({ length: vocabSize }, (_, id) => engine.tokenPiece(id));
  return fingerprintOf({ architecture, layers, hiddenSize, vocabSize, vocab });
}
