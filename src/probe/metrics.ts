import { InvalidArgumentError } from '../errors.ts';

function checkPair(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length)
    throw new InvalidArgumentError(`${scores.length} scores but ${labels.length} labels`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1)
      throw new InvalidArgumentError(`label at ${i} is ${labels[i]}; must be 0 or 1`);
    if (Number.isNaN(scores[i])) throw new InvalidArgumentError(`score at ${i} is NaN`);
  }
}

/**
 * Area under the ROC curve = P(score of a random positive > a random negative) + ½ P(tie),
 * computed from average ranks (Mann–Whitney U) in O(n log n).
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let n1 = 0;
  let rankSum1 = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let t = i; t <= j; t++) if (labels[order[t]] === 1) rankSum1 += avgRank;
    i = j + 1;
  }
  for (let i = 0; i < n; i++) n1 += labels[i];
  const n0 = n - n1;
  if (n1 === 0 || n0 === 0)
    throw new InvalidArgumentError(`AUROC needs both classes (got ${n1} positives, ${n0} negatives)`);
  return (rankSum1 - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Confusion counts at a threshold: predicted 1 iff score ≥ threshold. */
export function confusionMatrix(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): { tn: number; fp: number; fn: number; tp: number } {
  checkPair(scores, labels);
  const c = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < scores.length; i++) {
    const pred = scores[i] >= threshold;
    if (labels[i] === 1) pred ? c.tp++ : c.fn++;
    else pred ? c.fp++ : c.tn++;
  }
  return c;
}

/** Fraction of rows where (score ≥ threshold) equals the label. */
export function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): number {
  if (scores.length === 0) throw new InvalidArgumentError('accuracy of an empty set');
  const c = confusionMatrix(scores, labels, threshold);
  return (c.tp + c.tn) / scores.length;
}
