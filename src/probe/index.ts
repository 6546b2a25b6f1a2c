// The LYNX probe: feature standardization, classifiers, the fitted pipeline and its metrics.
export type { Classifier, FitOptions } from './classifier.ts';
export { type LogisticOptions, LogisticRegressionProbe } from './LogisticRegressionProbe.ts';
export { type MlpFitInfo, type MlpOptions, MlpProbe } from './MlpProbe.ts';
export type { FeatureInput, Matrix } from './matrix.ts';
export { accuracy, auroc, confusionMatrix } from './metrics.ts';
export { Probe, type ProbeJson, ProbeJsonSchema, type ProbeOptions } from './Probe.ts';
export { StandardScaler } from './StandardScaler.ts';
