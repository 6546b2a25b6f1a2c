import type { SampleOptions } from '../engine/types.ts';

/**
 * The sampling defaults everywhere a command, the server or a pipeline samples: LYNX's evaluation
 * setting (T 0.6, top-p 0.95, no top-k), seed 0. Defined once; every default refers here.
 */
export const DEFAULT_SAMPLE: Readonly<Required<SampleOptions>> = Object.freeze({
  temperature: 0.6,
  topP: 0.95,
  topK: 0,
  seed: 0,
});
