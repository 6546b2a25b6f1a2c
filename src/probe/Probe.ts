import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import type { FitOptions } from './classifier.ts';
import {
  LogisticJsonSchema,
  type LogisticOptions,
  LogisticRegressionProbe,
} from './LogisticRegressionProbe.ts';
import { MlpJsonSchema, type MlpOptions, MlpProbe } from './MlpProbe.ts';
import { assertFinite, balancedWeights, checkLabels, type FeatureInput, packFeatures } from './matrix.ts';
import { ScalerJsonSchema, StandardScaler } from './StandardScaler.ts';

/**
 * JSON form of a fitted probe. Arrays are `{dtype, length, base64}` with little-endian IEEE bytes:
 * f64le for the scaler and logistic coefficients, f32le for MLP weights, so a round trip is exact.
 */
export const ProbeJsonSchema = z.object({
  format: z.literal('lynx-exit.probe'),
  version: z.literal(1),
  inputDim: z.number().int().positive(),
  scaler: ScalerJsonSchema,
  classifier: z.discriminatedUnion('kind', [MlpJsonSchema, LogisticJsonSchema]),
});
export type ProbeJson = z.infer<typeof ProbeJsonSchema>;

export type ProbeOptions =
  | ({ kind?: 'mlp' } & MlpOptions & FitOptions)
  | ({ kind: 'logistic' } & LogisticOptions & FitOptions);

/** The LYNX probe: StandardScaler then a classifier (MLP by default), giving P(safe to exit | features). */
export class Probe {
  private scratch: Float32Array<ArrayBufferLike>;

  constructor(
    readonly scaler: StandardScaler,
    readonly classifier: MlpProbe | LogisticRegressionProbe,
  ) {
    if (classifier.inputDim !== scaler.dim)
      throw new InvalidArgumentError(
        `probe: scaler has ${scaler.dim} features but the classifier expects ${classifier.inputDim}`,
      );
    this.scratch = new Float32Array(scaler.dim);
  }

  /** Number of input features. */
  get inputDim(): number {
    return this.scaler.dim;
  }

  /** Fits scaler and classifier on rows (or a packed matrix) with 0/1 labels. Class-balanced by default. */
  static fit(x: FeatureInput, y: ArrayLike<number>, opts: ProbeOptions = {}): Probe {
    const m = packFeatures(x, 'training features');
    const labels = checkLabels(y, m.rows, 'training labels');
    const weights = opts.sampleWeight ? Float64Array.from(opts.sampleWeight) : balancedWeights(labels);
    if (weights.length !== m.rows)
      throw new InvalidArgumentError(`sampleWeight has ${weights.length} values for ${m.rows} rows`);
    const scaler = StandardScaler.fit(m);
    scaler.transformInPlace(m); // m is our own copy
    const classifier = opts.kind === 'logistic' ? new LogisticRegressionProbe(opts) : new MlpProbe(opts);
    classifier.fitPacked(m, labels, weights);
    return new Probe(scaler, classifier);
  }

  /** P(label 1) for one feature vector. */
  predictProba(x: Float32Array): number {
    if (x.length !== this.inputDim)
      throw new InvalidArgumentError(`probe expects ${this.inputDim} features, got a vector of ${x.length}`);
    assertFinite(x, x.length, 'feature vector');
    return this.classifier.predictRow(this.scaler.transformRow(x, this.scratch));
  }

  /** P(label 1) for many rows. */
  predictProbaBatch(x: FeatureInput): Float64Array {
    const m = packFeatures(x, 'features', this.inputDim);
    this.scaler.transformInPlace(m);
    return this.classifier.predictMatrix(m);
  }

  toJSON(): ProbeJson {
    return {
      format: 'lynx-exit.probe',
      version: 1,
      inputDim: this.inputDim,
      scaler: this.scaler.toJSON(),
      classifier: this.classifier.toJSON(),
    };
  }

  /** Rebuilds a probe from toJSON() output (validated). */
  static fromJSON(j: unknown): Probe {
    const parsed = ProbeJsonSchema.safeParse(j);
    if (!parsed.success)
      throw new InvalidArgumentError(
        `probe JSON is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const pj = parsed.data;
    const scaler = StandardScaler.fromJSON(pj.scaler);
    const c = pj.classifier;
    const classifier = c.kind === 'mlp' ? MlpProbe.fromJSON(c) : LogisticRegressionProbe.fromJSON(c);
    if (scaler.dim !== pj.inputDim)
      throw new InvalidArgumentError(
        `probe JSON: inputDim ${pj.inputDim} but the scaler has ${scaler.dim} features`,
      );
    return new Probe(scaler, classifier);
  }
}
