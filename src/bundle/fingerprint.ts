import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BundleMismatchError, UserError } from '../errors.ts';

/** Identifies the model a bundle was made for. */
export const FingerprintSchema = z.object({
  architecture: z.string().min(1),
  layers: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  vocabSize: z.number().int().positive(),
  /** 'sha256:<hex>' of JSON.stringify(token pieces in id order) — JSON so piece boundaries are unambiguous. */
  vocabHash: z.string().min(1),
  /** Optional hash of the hidden state for a fixed probe input (catches different weights, same vocab). */
  probeHash: z.string().optional(),
  /** Hash of the weights (the engine's `weightsHash`): another model of the same shape is refused. */
  weightsHash: z.string().optional(),
});
export type Fingerprint = z.infer<typeof FingerprintSchema>;

/** Computes a model fingerprint; the vocabulary hash is sha256 over the JSON array of token pieces. */
export function fingerprintOf(m: {
  architecture: string;
  layers: number;
  hiddenSize: number;
  vocabSize?: number;
  vocab: readonly string[];
  probeHash?: string;
  weightsHash?: string;
}): Fingerprint {
  const vocabSize = m.vocabSize ?? m.vocab.length;
  if (vocabSize !== m.vocab.length)
    throw new UserError(`fingerprint: vocabSize ${vocabSize} but ${m.vocab.length} token pieces were given`);
  const vocabHash = `sha256:${createHash('sha256').update(JSON.stringify(m.vocab)).digest('hex')}`;
  const fp: Fingerprint = {
    architecture: m.architecture,
    layers: m.layers,
    hiddenSize: m.hiddenSize,
    vocabSize,
    vocabHash,
  };
  if (m.probeHash !== undefined) fp.probeHash = m.probeHash;
  if (m.weightsHash !== undefined) fp.weightsHash = m.weightsHash;
  return fp;
}

/** A short human description, e.g. "qwen2 28 layers hidden 1536 vocab 151936/3f2a9c01d4e5". */
export function describeFingerprint(f: Fingerprint): string {
  const hash = f.vocabHash.replace(/^sha256:/, '').slice(0, 12);
  const probe = f.probeHash ? ` probe ${f.probeHash.replace(/^sha256:/, '').slice(0, 12)}` : '';
  const weights = f.weightsHash ? ` weights ${f.weightsHash.replace(/^sha256:/, '').slice(0, 12)}` : '';
  return `${f.architecture} ${f.layers} layers hidden ${f.hiddenSize} vocab ${f.vocabSize}/${hash}${probe}${weights}`;
}

/** True if two fingerprints describe the same model (probe and weights hashes compared when both have one). */
export function sameModel(a: Fingerprint, b: Fingerprint): boolean {
  return (
    a.architecture === b.architecture &&
    a.layers === b.layers &&
    a.hiddenSize === b.hiddenSize &&
    a.vocabSize === b.vocabSize &&
    a.vocabHash === b.vocabHash &&
    (a.probeHash === undefined || b.probeHash === undefined || a.probeHash === b.probeHash) &&
    (a.weightsHash === undefined || b.weightsHash === undefined || a.weightsHash === b.weightsHash)
  );
}

/**
 * Throws a BundleMismatchError naming both models unless the bundle's fingerprint matches the
 * model's; `ids` (the bundle's model id, the engine's) are added to the message when given.
 */
export function checkFingerprint(
  bundleFp: Fingerprint,
  modelFp: Fingerprint,
  ids?: { bundle: string; model: string },
): void {
  if (!sameModel(bundleFp, modelFp))
    throw new BundleMismatchError(
      `bundle was made for ${describeFingerprint(bundleFp)}${ids ? ` (${ids.bundle})` : ''}; ` +
        `this model is ${describeFingerprint(modelFp)}${ids ? ` (${ids.model})` : ''}`,
    );
}
