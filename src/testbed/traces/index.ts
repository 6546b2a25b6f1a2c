export { buildCorpus, type CorpusItem, type CorpusOptions, type Split, splitOf } from './corpus.ts';
export { generateTrace } from './generateTrace.ts';
export { generateProblem } from './problems.ts';
export {
  type CueWord,
  DEFAULT_TRACE_OPTIONS,
  FAMILIES,
  type Family,
  type Problem,
  type Trace,
  type TraceBelief,
  type TraceCue,
  type TraceMeta,
  type TraceOptions,
} from './types.ts';
