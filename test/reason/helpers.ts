/** Shared setup for the reasoning-loop tests: tiny GGUF test models in the real llama.cpp engine. */
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import type { ReasoningTrace, TokenRole } from '../../src/reason/types.ts';
import { buildTestModel, type TestModel, type TestModelOptions } from '../../src/testing/testModels.ts';

/** A loaded test model and its engine (always one thread: tests share two cores). */
export async function loadTestEngine(
  opts: TestModelOptions,
): Promise<{ model: TestModel; engine: LlamaCppEngine }> {
  const model = await buildTestModel(opts);
  const engine = await LlamaCppEngine.load(model.path, { threads: 1, contextSize: 1024 });
  return { model, engine };
}

/** The prompt every test uses (chat format of the test vocabularies; ends inside `<think>`). */
export function testPrompt(engine: LlamaCppEngine): string {
  return engine.formatChat([{ role: 'user', content: ' What two plus two?' }]);
}

export const GREEDY = { temperature: 0 } as const;

/** Per-role counts recomputed from the token records. */
export function roleCounts(trace: ReasoningTrace): Record<TokenRole, number> {
  const c: Record<TokenRole, number> = { thinking: 0, probe: 0, answer: 0 };
  for (const r of trace.tokens) c[r.role]++;
  return c;
}

/** Thinking tokens kept in the final sequence, from the records. */
export function keptThinking(trace: ReasoningTrace): number[] {
  return trace.tokens.filter((r) => r.role === 'thinking' && r.kept).map((r) => r.token);
}

/** Checks every accounting identity of a trace; returns a list of violations (empty = consistent). */
export function accountingErrors(trace: ReasoningTrace): string[] {
  const errors: string[] = [];
  const c = roleCounts(trace);
  const k = trace.counts;
  const check = (ok: boolean, what: string) => ok || errors.push(`${what}: ${JSON.stringify(k)}`);
  check(k.thinking === c.thinking, 'thinking count');
  check(k.probe === c.probe, 'probe count');
  check(k.answer === c.answer, 'answer count');
  check(k.total === trace.tokens.length, 'total = every decoded token');
  check(k.total === k.thinking + k.probe + k.answer, 'total = thinking + probe + answer');
  check(k.keptThinking === keptThinking(trace).length, 'kept thinking');
  check(k.keptThinking === trace.exit.position || trace.exit.reason === 'natural-end', 'exit position');
  check(k.used === k.keptThinking + k.exitCue + k.answer, 'used');
  check(k.charged === k.used + k.probe - k.freeProbe, 'charged');
  check(k.freeProbe <= k.probe, 'free probe <= probe');
  const trialTokens = trace.trials.filter((t) => !t.reused).reduce((n, t) => n + t.tokens, 0);
  check(trialTokens === k.probe, 'probe tokens = tokens of the trials not reused');
  return errors;
}
