/**
 * `Session.generate` for engines that decode in-process one token at a time (llama.cpp, the
 * scripted test engine): a loop of `step`s, reading entropy and alternatives before each one.
 */
import type { GeneratedToken, GenerateOptions, GenerateResult, Session } from './types.ts';

/** Checks `GenerateOptions.maxTokens`, the one setting every engine validates the same way. */
export function checkGenerateOptions(opts: GenerateOptions): void {
  if (!Number.isSafeInteger(opts.maxTokens) || opts.maxTokens < 1)
    throw new RangeError(`generate: maxTokens must be a positive integer, got ${opts.maxTokens}`);
  const k = opts.topLogprobs ?? 0;
  if (!Number.isSafeInteger(k) || k < 0)
    throw new RangeError(`generate: topLogprobs must be a non-negative integer, got ${k}`);
}

/** Generates by calling `session.step` until a stop condition (see `Session.generate`). */
export async function generateBySteps(session: Session, opts: GenerateOptions): Promise<GenerateResult> {
  checkGenerateOptions(opts);
  const tokens: GeneratedToken[] = [];
  const hint = opts.keepHidden ? { hidden: opts.keepHidden } : undefined;
  const k = opts.topLogprobs ?? 0;
  while (tokens.length < opts.maxTokens) {
    if (opts.signal?.aborted) return { tokens, stoppedBy: 'aborted' };
    const entropy = opts.entropy ? session.entropy() : undefined;
    const top = k > 0 ? session.topLogprobs(k) : undefined;
    const step = await session.step(opts.sample, hint);
    const token: GeneratedToken = { ...step };
    if (entropy !== undefined) token.entropy = entropy;
    if (top !== undefined) token.top = top;
    tokens.push(token);
    const stop = opts.onToken?.(token) ?? false;
    if (step.isEog) return { tokens, stoppedBy: 'eos' };
    if (stop) return { tokens, stoppedBy: 'stop' };
  }
  return { tokens, stoppedBy: 'length' };
}
