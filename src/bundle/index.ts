// The `*.lynx.json` bundle: model fingerprint, probe, conformal thresholds, and the exit decision.
export { Bundle, type Decision, type DecisionLevel } from './Bundle.ts';
export {
  checkFingerprint,
  describeFingerprint,
  type Fingerprint,
  FingerprintSchema,
  fingerprintOf,
  sameModel,
} from './fingerprint.ts';
export { loadBundle, parseBundle, saveBundle } from './io.ts';
export { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleData, BundleSchema } from './schema.ts';
