// Conformal calibration of the probe: per-event Mondrian sets (LYNX) and trajectory-level Learn-then-Test.
export { binomialCdf, binomialCdfTable } from './binomial.ts';
export {
  MondrianConformal,
  type PerClassQuantiles,
  type PredictionSet,
  predictionSet,
  shouldExit,
} from './MondrianConformal.ts';
export { checkLevel, conformalQuantile, conformalRank } from './quantile.ts';
export {
  type CueEvent,
  defaultLambdaGrid,
  TrajectoryCalibrator,
  type TrajectoryCertificate,
  trajectoryLoss,
} from './TrajectoryCalibrator.ts';
