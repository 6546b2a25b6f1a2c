/** The model fingerprint of a loaded engine, as stored in events meta files and bundles. */
import type { Bundle } from '../bundle/Bundle.ts';
import { type Fingerprint, fingerprintOf } from '../bundle/fingerprint.ts';
import { loadBundle } from '../bundle/io.ts';
import { givesLayer, hiddenLayersHintText, hiddenLayersText } from '../engine/checks.ts';
import type { Engine } from '../engine/types.ts';
import { BundleMismatchError } from '../errors.ts';

/**
 * Fingerprints an engine's model from its architecture, sizes and every token piece, plus the
 * weights hash where the engine has one (llama.cpp: from the GGUF it runs; a remote engine such as
 * SGLang has none, as the weights it serves cannot be read from here). No probe hash: hidden states
 * differ slightly across thread counts and hardware, so an exact hash of them would reject the same
 * model run elsewhere.
 */
export function engineFingerprint(engine: Engine): Fingerprint {
  const { architecture, layers, hiddenSize, vocabSize, weightsHash } = engine.info;
  const vocab = Array.from({ length: vocabSize }, (_, id) => engine.tokenPiece(id));
  return fingerprintOf({ architecture, layers, hiddenSize, vocabSize, vocab, weightsHash });
}

/**
 * Loads a bundle for `engine` and checks it before any decoding: the model (architecture, sizes,
 * vocabulary, and the weights when both the bundle and the engine have a weights hash), and the
 * feature layers and dimension against what the engine can give. Every mismatch is a one-line
 * UserError naming both sides. Model ids are not compared (one model is a GGUF file name on
 * llama.cpp and a hub path on SGLang); they are named in the error.
 */
export async function loadBundleFor(path: string, engine: Engine): Promise<Bundle> {
  const bundle = await loadBundle(path, {
    expectFingerprint: engineFingerprint(engine),
    modelId: `${engine.info.modelId} on ${engine.info.name}`,
  });
  const { layers, dim } = bundle.data.features;
  if (!layers.every((l) => givesLayer(engine.info, l)))
    throw new BundleMismatchError(
      `${path}: the bundle's probe reads hidden-state layers [${layers.join(', ')}]; the ${engine.info.name} engine gives layers ${hiddenLayersText(engine.info)} for ${engine.info.modelId}${hiddenLayersHintText(engine.info)}`,
    );
  if (dim !== layers.length * engine.info.hiddenSize)
    throw new BundleMismatchError(
      `${path}: the bundle's probe takes ${dim} features; ${layers.length} layer(s) of ${engine.info.modelId} give ${layers.length * engine.info.hiddenSize}`,
    );
  return bundle;
}
