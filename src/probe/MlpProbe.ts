import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { type Classifier, type FitOptions, prepareFit, sigmoid } from './classifier.ts';
import { backwardDense, forwardDense, forwardRow } from './dense.ts';
import { type FeatureInput, type Matrix, packFeatures } from './matrix.ts';
import { stratifiedSplit } from './stratifiedSplit.ts';
import { decodeF32, encodeTensor, TensorJsonSchema } from './tensorCodec.ts';

export const MlpJsonSchema = z.object({
  kind: z.literal('mlp'),
  /** [inputDim, ...hidden, 1]. */
  layerSizes: z.array(z.number().int().positive()).min(2),
  /** Per layer, fanOut × fanIn (output-major), f32le. */
  weights: z.array(TensorJsonSchema),
  biases: z.array(TensorJsonSchema),
});
export type MlpJson = z.infer<typeof MlpJsonSchema>;

export interface MlpOptions {
  /** Hidden layer widths; default [256, 64] (the LYNX paper's probe). */
  hidden?: number[];
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty, scaled like scikit-learn: ½·alpha·‖W‖² / Σ(batch weights). */
  alpha?: number;
  /** Minibatch size (capped at the number of training rows). */
  batchSize?: number;
  maxEpochs?: number;
  earlyStopping?: boolean;
  validationFraction?: number;
  /** Stop after this many epochs in a row without improving by more than `tol` (n_iter_no_change). */
  patience?: number;
  tol?: number;
  /**
   * What early stopping watches on the validation split. 'accuracy' (scikit-learn's choice) uses
   * the sample weights, i.e. balanced accuracy with the default weights; 'logLoss' is smoother.
   */
  validationScore?: 'accuracy' | 'logLoss';
  seed?: number;
  /** Called after each epoch (progress reporting). */
  onEpoch?: (info: { epoch: number; trainLoss: number; validationScore: number | null }) => void;
}

/** What a fit did, for provenance. */
export interface MlpFitInfo {
  epochs: number;
  bestEpoch: number;
  trainLoss: number[];
  validationScores: number[];
  trainRows: number;
  validationRows: number;
}

/**
 * A ReLU multilayer perceptron with a sigmoid output, trained like scikit-learn's MLPClassifier
 * (Adam, minibatches, L2, early stopping on a stratified validation split, best weights restored),
 * with He initialization and everything driven by a SeededRandom.
 */
export class MlpProbe implements Classifier {
  readonly kind = 'mlp' as const;
  layerSizes: number[] = [];
  weights: Float32Array[] = [];
  biases: Float32Array[] = [];
  fitInfo: MlpFitInfo | null = null;
  private scratch: Float32Array[] = [];

  constructor(private readonly opts: MlpOptions = {}) {
    const hidden = opts.hidden ?? [256, 64];
    if (hidden.some((h) => !(Number.isInteger(h) && h > 0)))
      throw new InvalidArgumentError(
        `MLP hidden sizes must be positive integers, got [${hidden.join(', ')}]`,
      );
  }

  get inputDim(): number {
    return this.layerSizes[0] ?? 0;
  }

  /** Fits on rows (or a packed matrix) and 0/1 labels; class-balanced weights unless given. */
  fit(x: FeatureInput, y: ArrayLike<number>, opts: FitOptions = {}): this {
    const { m, labels, weights } = prepareFit(x, y, opts);
    this.fitPacked(m, labels, weights);
    return this;
  }

  fitPacked(x: Matrix, y: Uint8Array, sw: Float64Array): void {
    const o = this.opts;
    const lr = o.learningRate ?? 1e-3;
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.999;
    const eps = o.epsilon ?? 1e-8;
    const alpha = o.alpha ?? 1e-4;
    const maxEpochs = o.maxEpochs ?? 500;
    const patience = o.patience ?? 10;
    const tol = o.tol ?? 1e-4;
    const earlyStopping = o.earlyStopping ?? true;
    const scoreKind = o.validationScore ?? 'accuracy';
    const rng = new SeededRandom(o.seed ?? 42);

    const sizes = [x.cols, ...(o.hidden ?? [256, 64]), 1];
    this.layerSizes = sizes;
    this.initWeights(rng.fork());
    const L = sizes.length - 1;

    let trainIdx: Int32Array;
    let valIdx: Int32Array | null = null;
    if (earlyStopping) {
      const split = stratifiedSplit(y, o.validationFraction ?? 0.2, rng.fork());
      trainIdx = split.train;
      valIdx = split.validation;
    } else trainIdx = Int32Array.from({ length: x.rows }, (_, i) => i);
    const nTrain = trainIdx.length;
    const B = Math.max(1, Math.min(o.batchSize ?? 200, nTrain));

    // Buffers: activations per layer (count × width), deltas, gradients, Adam moments.
    const acts = sizes.slice(1).map((w) => new Float32Array(B * w));
    const deltas = sizes.slice(1).map((w) => new Float32Array(B * w));
    const gW = this.weights.map((w) => new Float32Array(w.length));
    const gb = this.biases.map((b) => new Float32Array(b.length));
    const mW = this.weights.map((w) => new Float32Array(w.length));
    const vW = this.weights.map((w) => new Float32Array(w.length));
    const mb = this.biases.map((b) => new Float32Array(b.length));
    const vb = this.biases.map((b) => new Float32Array(b.length));
    const inOffs = new Int32Array(B);
    const hidOffs = sizes.map((w) => Int32Array.from({ length: B }, (_, i) => i * w));
    const nz = new Int32Array(B);

    const order = Array.from(trainIdx);
    let step = 0;
    let best = Number.NEGATIVE_INFINITY;
    let bestWeights: Float32Array[] | null = null;
    let bestBiases: Float32Array[] | null = null;
    let bestEpoch = 0;
    let noImprove = 0;
    let bestTrainLoss = Number.POSITIVE_INFINITY;
    const trainLoss: number[] = [];
    const validationScores: number[] = [];

    let epoch = 0;
    while (epoch < maxEpochs) {
      epoch++;
      rng.shuffle(order);
      let lossSum = 0;
      let weightSum = 0;
      for (let start = 0; start < nTrain; start += B) {
        const count = Math.min(B, nTrain - start);
        for (let i = 0; i < count; i++) inOffs[i] = order[start + i] * x.cols;
        // Forward.
        this.forwardBatch(x.data, inOffs, hidOffs, count, acts);
        // Output delta for weighted log loss: w_i (σ(z_i) - y_i).
        let swBatch = 0;
        const out = acts[L - 1];
        const dOut = deltas[L - 1];
        for (let i = 0; i < count; i++) {
          const r = order[start + i];
          const z = out[i];
          const w = sw[r];
          swBatch += w;
          dOut[i] = w * (sigmoid(z) - y[r]);
          lossSum += w * (softplus(z) - y[r] * z);
        }
        weightSum += swBatch;
        if (swBatch <= 0) continue;
        // Backward.
        for (let l = L - 1; l >= 0; l--) {
          gW[l].fill(0);
          gb[l].fill(0);
          const input = l === 0 ? x.data : acts[l - 1];
          const offs = l === 0 ? inOffs : hidOffs[l];
          backwardDense(
            deltas[l],
            input,
            offs,
            count,
            sizes[l],
            this.weights[l],
            sizes[l + 1],
            gW[l],
            gb[l],
            l > 0 ? deltas[l - 1] : null,
            nz,
          );
        }
        // Adam step on (grad + alpha·W) / Σw.
        step++;
        const lrT = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
        const inv = 1 / swBatch;
        for (let l = 0; l < L; l++) {
          adam(this.weights[l], gW[l], mW[l], vW[l], alpha, inv, beta1, beta2, lrT, eps);
          adam(this.biases[l], gb[l], mb[l], vb[l], 0, inv, beta1, beta2, lrT, eps);
        }
      }
      let l2 = 0;
      for (const w of this.weights) for (let i = 0; i < w.length; i++) l2 += w[i] * w[i];
      const epochLoss = lossSum / weightSum + (0.5 * alpha * l2) / weightSum;
      trainLoss.push(epochLoss);

      let score: number | null = null;
      if (valIdx) {
        score = this.validationScore(x, valIdx, y, sw, scoreKind);
        validationScores.push(score);
        // scikit-learn's rule: count epochs not beating the best by tol; keep the best weights.
        if (score < best + tol) noImprove++;
        else noImprove = 0;
        if (score > best) {
          best = score;
          bestEpoch = epoch;
          bestWeights = this.weights.map((w) => w.slice());
          bestBiases = this.biases.map((b) => b.slice());
        }
      } else {
        if (epochLoss > bestTrainLoss - tol) noImprove++;
        else noImprove = 0;
        if (epochLoss < bestTrainLoss) {
          bestTrainLoss = epochLoss;
          bestEpoch = epoch;
        }
      }
      o.onEpoch?.({ epoch, trainLoss: epochLoss, validationScore: score });
      if (noImprove > patience) break;
    }
    if (bestWeights && bestBiases) {
      this.weights = bestWeights;
      this.biases = bestBiases;
    }
    this.fitInfo = {
      epochs: epoch,
      bestEpoch,
      trainLoss,
      validationScores,
      trainRows: nTrain,
      validationRows: valIdx?.length ?? 0,
    };
  }

  private initWeights(rng: SeededRandom): void {
    const sizes = this.layerSizes;
    this.weights = [];
    this.biases = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      // He (Kaiming) normal for ReLU layers; the same scale is harmless for the sigmoid output.
      const sd = Math.sqrt(2 / fanIn);
      const w = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < w.length; i++) w[i] = rng.normal() * sd;
      this.weights.push(w);
      this.biases.push(new Float32Array(fanOut));
    }
  }

  private validationScore(
    x: Matrix,
    idx: Int32Array,
    y: Uint8Array,
    sw: Float64Array,
    kind: 'accuracy' | 'logLoss',
  ): number {
    const p = this.predictRows(x, idx);
    let num = 0;
    let den = 0;
    for (let t = 0; t < idx.length; t++) {
      const r = idx[t];
      const w = sw[r];
      den += w;
      if (kind === 'accuracy') num += (p[t] >= 0.5 ? 1 : 0) === y[r] ? w : 0;
      else num += w * Math.log(Math.max(1e-15, y[r] ? p[t] : 1 - p[t]));
    }
    return den > 0 ? num / den : 0;
  }

  /**
   * Forward pass of `count` rows through every layer (ReLU on hidden layers): input row i starts at
   * `input[inOffs[i]]`; layer l writes `acts[l]` (count × sizes[l + 1]), whose rows the next layer
   * reads at `hidOffs[l + 1]`.
   */
  private forwardBatch(
    input: Float32Array,
    inOffs: Int32Array,
    hidOffs: Int32Array[],
    count: number,
    acts: Float32Array[],
  ): void {
    const sizes = this.layerSizes;
    const L = sizes.length - 1;
    for (let l = 0; l < L; l++) {
      forwardDense(
        l === 0 ? input : acts[l - 1],
        l === 0 ? inOffs : hidOffs[l],
        count,
        sizes[l],
        this.weights[l],
        this.biases[l],
        sizes[l + 1],
        acts[l],
        l < L - 1,
      );
    }
  }

  /** P(label 1) for selected rows of a packed matrix, in blocks. */
  private predictRows(x: Matrix, idx: Int32Array): Float64Array {
    const sizes = this.layerSizes;
    const L = sizes.length - 1;
    const B = 256;
    const acts = sizes.slice(1).map((w) => new Float32Array(B * w));
    const hidOffs = sizes.map((w) => Int32Array.from({ length: B }, (_, i) => i * w));
    const offs = new Int32Array(B);
    const out = new Float64Array(idx.length);
    for (let start = 0; start < idx.length; start += B) {
      const count = Math.min(B, idx.length - start);
      for (let i = 0; i < count; i++) offs[i] = idx[start + i] * x.cols;
      this.forwardBatch(x.data, offs, hidOffs, count, acts);
      for (let i = 0; i < count; i++) out[start + i] = sigmoid(acts[L - 1][i]);
    }
    return out;
  }

  predictRow(x: Float32Array): number {
    const sizes = this.layerSizes;
    const L = sizes.length - 1;
    if (this.scratch.length !== L) this.scratch = sizes.slice(1).map((w) => new Float32Array(w));
    let input = x;
    for (let l = 0; l < L; l++) {
      forwardRow(input, sizes[l], this.weights[l], this.biases[l], sizes[l + 1], this.scratch[l], l < L - 1);
      input = this.scratch[l];
    }
    return sigmoid(input[0]);
  }

  predictMatrix(x: Matrix): Float64Array {
    return this.predictRows(
      x,
      Int32Array.from({ length: x.rows }, (_, i) => i),
    );
  }

  /** P(label 1) per row, with input checks. */
  predictProba(x: FeatureInput): Float64Array {
    return this.predictMatrix(packFeatures(x, 'features', this.inputDim));
  }

  toJSON(): MlpJson {
    return {
      kind: 'mlp',
      layerSizes: [...this.layerSizes],
      weights: this.weights.map((w) => encodeTensor(w)),
      biases: this.biases.map((b) => encodeTensor(b)),
    };
  }

  static fromJSON(j: MlpJson): MlpProbe {
    const sizes = j.layerSizes;
    if (sizes[sizes.length - 1] !== 1)
      throw new InvalidArgumentError(`mlp: last layer size must be 1, got ${sizes.at(-1)}`);
    const L = sizes.length - 1;
    if (j.weights.length !== L || j.biases.length !== L)
      throw new InvalidArgumentError(
        `mlp: ${L} layers but ${j.weights.length} weight and ${j.biases.length} bias tensors`,
      );
    const p = new MlpProbe({ hidden: sizes.slice(1, -1) });
    p.layerSizes = [...sizes];
    p.weights = j.weights.map((t, l) => decodeF32(t, `mlp.weights[${l}]`, sizes[l] * sizes[l + 1]));
    p.biases = j.biases.map((t, l) => decodeF32(t, `mlp.biases[${l}]`, sizes[l + 1]));
    return p;
  }
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** One Adam update of `param` with gradient (g + decay·param)·scale. */
function adam(
  param: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  decay: number,
  scale: number,
  beta1: number,
  beta2: number,
  lrT: number,
  eps: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < param.length; i++) {
    const gi = (g[i] + decay * param[i]) * scale;
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    param[i] -= (lrT * mi) / (Math.sqrt(vi) + eps);
  }
}
