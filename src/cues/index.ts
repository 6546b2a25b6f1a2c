export { CueDetector, type CueDetectorOptions, type CueEvent, compareCueEvents } from './CueDetector.ts';
export { findCues } from './findCues.ts';
export { type CueMatchMode, DEFAULT_CUE_LEXICON, foldCase } from './lexicon.ts';
