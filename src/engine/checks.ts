/**
 * The checks engines make at load, `open`, `append`, `step` and `rollback`, written once so every
 * engine refuses the same inputs with the same words, and marks that carry the state after their
 * position.
 */
import { EngineCapabilityError, UserError } from '../errors.ts';
import type { EngineInfo, Mark } from './types.ts';

/** The smallest context an engine accepts. */
export const MIN_CONTEXT = 16;

/**
 * Throws a UserError unless `parallel` (sessions open at once) is an integer in [1, `max`]: 256 for
 * in-process engines (sequences of one context), more for a server that batches requests.
 */
export function checkParallel(parallel: number, max = 256): void {
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > max)
    throw new UserError(`parallel must be an integer in [1, ${max}], got ${parallel}`);
}

/** Throws a UserError unless `contextSize` is an integer of at least `MIN_CONTEXT` tokens. */
export function checkContextSize(contextSize: number): void {
  if (!Number.isInteger(contextSize) || contextSize < MIN_CONTEXT)
    throw new UserError(`context size must be an integer >= ${MIN_CONTEXT}, got ${contextSize}`);
}

/** Throws a UserError unless `tokens` fit after `length` tokens and every one is in the vocabulary. */
export function checkAppend(
  length: number,
  tokens: readonly number[],
  info: Pick<EngineInfo, 'contextSize' | 'vocabSize'>,
): void {
  if (length + tokens.length > info.contextSize)
    throw new UserError(
      `the context is full: ${length} + ${tokens.length} tokens exceed the context size ${info.contextSize} (raise --context-size)`,
    );
  for (const t of tokens)
    if (!Number.isInteger(t) || t < 0 || t >= info.vocabSize)
      throw new UserError(`token ${t} is outside the vocabulary (size ${info.vocabSize})`);
}

/** Throws a UserError unless `tokens` can open a session: not empty, within the context, in the vocabulary. */
export function checkPrompt(
  tokens: readonly number[],
  info: Pick<EngineInfo, 'contextSize' | 'vocabSize'>,
): void {
  if (tokens.length === 0) throw new UserError('the prompt is empty');
  if (tokens.length > info.contextSize)
    throw new UserError(
      `the prompt has ${tokens.length} tokens, more than the context size ${info.contextSize} ` +
        '(raise --context-size or shorten the prompt)',
    );
  checkAppend(0, tokens, info);
}

/** True when `Session.hidden` can give layer `layer` (see `EngineInfo.hiddenLayers`). */
export function givesLayer(info: Pick<EngineInfo, 'hiddenLayers' | 'layers'>, layer: number): boolean {
  const have = info.hiddenLayers;
  return have === 'all'
    ? Number.isInteger(layer) && layer >= -1 && layer < info.layers
    : have.includes(layer);
}

/** The hidden-state layers an engine gives, for messages: "-1 and 0..N", "-1, 3" or "none". */
export function hiddenLayersText(info: Pick<EngineInfo, 'hiddenLayers' | 'layers'>): string {
  const have = info.hiddenLayers;
  return have === 'all' ? `-1 and 0..${info.layers - 1}` : have.join(', ') || 'none';
}

/**
 * Throws an EngineCapabilityError unless the engine gives every one of `layers`, naming what it
 * gives and, where a setting withholds more, how to get them.
 */
export function checkHiddenLayers(
  info: Pick<EngineInfo, 'name' | 'modelId' | 'hiddenLayers' | 'layers' | 'hiddenLayersHint'>,
  layers: readonly number[],
): void {
  const missing = layers.find((l) => !givesLayer(info, l));
  if (missing !== undefined)
    throw new EngineCapabilityError(
      `the ${info.name} engine gives hidden-state layers ${hiddenLayersText(info)} for ${info.modelId}, not ${missing}${hiddenLayersHintText(info)}`,
    );
}

/** `EngineInfo.hiddenLayersHint` as the end of a refusal ("; HINT"), or nothing. */
export function hiddenLayersHintText(info: Pick<EngineInfo, 'hiddenLayersHint'>): string {
  return info.hiddenLayersHint ? `; ${info.hiddenLayersHint}` : '';
}

/** A position of one session plus the state after it, so a rollback restores that state too. */
export class StateMark<State> implements Mark {
  constructor(
    readonly length: number,
    readonly owner: object,
    readonly state: State,
  ) {}
}

/** `mark` as one of `owner`'s marks at or before `length`; throws (a bug of the caller) otherwise. */
export function ownMark<State>(mark: Mark, owner: object, length: number): StateMark<State> {
  if (!(mark instanceof StateMark) || mark.owner !== owner)
    throw new Error('rollback: mark is not from this session');
  if (mark.length > length)
    throw new Error(
      `rollback: mark at ${mark.length} is beyond the sequence end ${length} (rolled back past it?)`,
    );
  return mark as StateMark<State>;
}
