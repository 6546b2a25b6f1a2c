/**
 * LYNX's label collection (docs/research/lynx_spec.md §1–3): per problem and sample, one sampled
 * rollout; at every cue, the hidden state(s) of the cue token and a forced exit from just before it
 * (exit cue + greedy answer ≤ N tokens, then rollback), graded against gold. Rows go to an events
 * store (`events.ts`); rerunning with the same store continues where it stopped.
 *
 * The rollout runs in the shared reasoning loop (`runReasoning`) under a policy that never exits,
 * so cue detection, the cut before the cue token and the rollback are exactly the ones LYNX uses
 * online. The sampler draws by (seed, position), so a rollout is the same with or without the
 * forced exits in between. Cues are detected while thinking only (the official code also scans
 * text after `</think>`).
 */
import { createHash } from 'node:crypto';
import { gradeAnswer } from '../answers/grade.ts';
import type { CueDetectorOptions } from '../cues/CueDetector.ts';
import { resolveCueOptions } from '../cues/CueDetector.ts';
import { givesLayer, hiddenLayersHintText, hiddenLayersText } from '../engine/checks.ts';
import type { Engine } from '../engine/types.ts';
import { EngineCapabilityError, InvalidArgumentError } from '../errors.ts';
import { LYNX_EXIT_CUE } from '../reason/cueTexts.ts';
import { forcedExit } from '../reason/forcedExit.ts';
import { concatFeatures } from '../reason/policies/lynx.ts';
import { runReasoning } from '../reason/runReasoning.ts';
import { CONTINUE, type ExitPolicy, type ReasoningTrace } from '../reason/types.ts';
import { EventsWriter, type NewEvent, type NewRollout } from './events.ts';
import { engineFingerprint } from './fingerprint.ts';
import { runOrdered } from './orderedPool.ts';
import type { WorkProblem } from './problems.ts';

/** Options of `collectEvents`. */
export interface CollectOptions {
  /** Events store prefix (created or continued). */
  out: string;
  /** Engine layer indices whose hidden states are concatenated (-1 = final norm). */
  layers: number[];
  /** Rollouts per problem. */
  samples: number;
  temperature: number;
  topP: number;
  topK?: number;
  /** Base seed; each rollout's seed is derived from (seed, task, problem id, sample). */
  seed: number;
  /** Limit on a rollout's thinking + answer tokens. */
  maxTokens: number;
  /** Limit on a forced-exit answer. */
  exitMaxTokens: number;
  exitCue?: string;
  cues?: CueDetectorOptions;
  /**
   * LYNX's fallback for a rollout without any cue: one synthetic event at generated-token index
   * max(1, ⌊0.7·L⌋) − 1 (L = generated tokens), labelled by a forced exit there. Default false.
   */
  syntheticNoCue?: boolean;
  /** Stored in the meta (dataset, split, ...); keys other than `limit` must match on continuation. */
  settings?: Record<string, unknown>;
  /** Called after each rollout (written or skipped). */
  onRollout?: (p: CollectProgress) => void;
  /** Stops between rollouts; what is written stays complete. */
  signal?: AbortSignal;
  /**
   * Rollouts run side by side (default 1); they are written in the serial order, so the store is
   * the same as a serial run's. The engine should allow as many sessions (`info.maxSessions`).
   */
  parallel?: number;
}

/** Progress after one rollout. */
export interface CollectProgress {
  /** Rollouts handled so far (written + skipped) and in all. */
  done: number;
  total: number;
  /** True when the rollout was already in the store. */
  skipped: boolean;
  problemId: string;
  rollout: number;
  /** Events written by this rollout, and rows in the store now. */
  events: number;
  rows: number;
}

/** What a collect run did. */
export interface CollectSummary {
  out: string;
  rolloutsTotal: number;
  rolloutsWritten: number;
  rolloutsSkipped: number;
  /** Events written in this run, their positives, synthetic ones, rollouts without a cue. */
  events: number;
  positives: number;
  synthetic: number;
  noCueRollouts: number;
  /** Store totals after the run. */
  rows: number;
  /** Bytes of an interrupted rollout truncated away on open. */
  recoveredBytes: number;
  seconds: number;
  aborted: boolean;
}

/** The sampling seed of one rollout: a hash of (base seed, task, problem id, sample), 32 bits. */
export function rolloutSeed(seed: number, task: string, problemId: string, sample: number): number {
  return createHash('sha256')
    .update(`${seed}\u0000${task}\u0000${problemId}\u0000${sample}`)
    .digest()
    .readUInt32LE(0);
}

/** Checks that the engine exposes every requested layer. */
function checkLayers(engine: Engine, layers: number[]): void {
  if (layers.length === 0) throw new InvalidArgumentError('--layers needs at least one layer index');
  for (const l of layers) {
    if (!givesLayer(engine.info, l))
      throw new EngineCapabilityError(
        `${engine.info.name} engine cannot give hidden states of layer ${l} for ${engine.info.modelId}; available: ${hiddenLayersText(engine.info)}${hiddenLayersHintText(engine.info)}`,
      );
  }
}

/** A cue event before its rollout's totals are known. */
type PendingEvent = Omit<NewEvent, 'rolloutTokens' | 'rolloutThinkingTokens' | 'cueIndex'>;

/** A policy that never exits and records, at each cue, the features and a graded forced exit. */
function collectorPolicy(
  problem: WorkProblem,
  rollout: number,
  layers: number[],
  exitCueTokens: number,
  sink: PendingEvent[],
): ExitPolicy {
  return {
    name: 'collect',
    onCue: async (ctx, cue) => {
      const features = concatFeatures(await ctx.hidden(layers));
      const trial = await ctx.trial({ suffix: ctx.exitCue, maxTokens: ctx.answerMaxTokens, charged: false });
      sink.push({
        task: problem.task,
        problemId: problem.id,
        rollout,
        position: cue.position,
        cue: cue.cue,
        cueText: cue.text,
        synthetic: false,
        label: gradeAnswer(problem.kind, ctx.exitCue + trial.text, problem.gold) ? 1 : 0,
        forcedAnswer: trial.text,
        forcedTokens: trial.tokens.length,
        forcedStoppedBy: trial.stoppedBy,
        usedTokens: cue.position + exitCueTokens + trial.tokens.length,
        gold: problem.gold,
        features,
      });
      return CONTINUE;
    },
  };
}

/** Generated tokens of a rollout (thinking and answer, probe tokens excluded). */
function generatedTokens(trace: ReasoningTrace): number[] {
  return trace.tokens.filter((r) => r.role !== 'probe' && r.kept).map((r) => r.token);
}

/** LYNX's synthetic event for a rollout without cues: treat the token at 70% as the cue. */
async function syntheticEvent(
  engine: Engine,
  problem: WorkProblem,
  rollout: number,
  prompt: number[],
  generated: number[],
  o: CollectOptions,
  exitCue: string,
  exitCueTokens: number[],
): Promise<PendingEvent | null> {
  if (generated.length === 0) return null;
  const k = Math.max(1, Math.floor(0.7 * generated.length)) - 1;
  const session = await engine.open([...prompt, ...generated.slice(0, k)]);
  try {
    const mark = session.mark();
    await session.append([generated[k]], { hidden: true });
    const features = concatFeatures(await session.hidden(o.layers));
    await session.rollback(mark);
    const r = await forcedExit(session, { exitCueTokens, exitCueText: exitCue, maxTokens: o.exitMaxTokens });
    return {
      task: problem.task,
      problemId: problem.id,
      rollout,
      position: k,
      cue: '',
      cueText: '',
      synthetic: true,
      label: gradeAnswer(problem.kind, exitCue + r.text, problem.gold) ? 1 : 0,
      forcedAnswer: r.text,
      forcedTokens: r.tokens.length,
      forcedStoppedBy: r.stoppedBy,
      usedTokens: k + exitCueTokens.length + r.tokens.length,
      gold: problem.gold,
      features,
    };
  } finally {
    await session.close();
  }
}

function checkOptions(o: CollectOptions): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new InvalidArgumentError(`${name} must be a positive integer, got ${v}`);
  };
  posInt('samples', o.samples);
  posInt('max-tokens', o.maxTokens);
  posInt('exit-max-tokens', o.exitMaxTokens);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    throw new InvalidArgumentError(`seed must be a non-negative integer, got ${o.seed}`);
  if (!(o.temperature >= 0)) throw new InvalidArgumentError(`temperature must be >= 0, got ${o.temperature}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new InvalidArgumentError(`top-p must be in (0, 1], got ${o.topP}`);
}

/** Collects labelled cue events for `problems` into the store at `o.out`, continuing it if it exists. */
export async function collectEvents(
  engine: Engine,
  problems: readonly WorkProblem[],
  o: CollectOptions,
): Promise<CollectSummary> {
  const started = performance.now();
  checkOptions(o);
  checkLayers(engine, o.layers);
  const exitCue = o.exitCue ?? LYNX_EXIT_CUE;
  const cues = resolveCueOptions(o.cues);
  const exitCueTokens = engine.tokenize(exitCue, { special: true });
  const writer = EventsWriter.open(
    o.out,
    {
      dim: o.layers.length * engine.info.hiddenSize,
      layers: o.layers,
      model: { id: engine.info.modelId, fingerprint: engineFingerprint(engine) },
      exitCue,
      cues: { lexicon: [...cues.lexicon], mode: cues.mode },
      settings: {
        ...o.settings,
        samples: o.samples,
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK ?? 0,
        seed: o.seed,
        maxTokens: o.maxTokens,
        exitMaxTokens: o.exitMaxTokens,
        syntheticNoCue: o.syntheticNoCue ?? false,
        engine: engine.info.name,
      },
    },
    // More problems or samples only extend a store; threads do not change what is computed.
    { ignoreSettings: ['limit', 'samples', 'threads'] },
  );
  const summary: CollectSummary = {
    out: writer.paths.prefix,
    rolloutsTotal: problems.length * o.samples,
    rolloutsWritten: 0,
    rolloutsSkipped: 0,
    events: 0,
    positives: 0,
    synthetic: 0,
    noCueRollouts: 0,
    rows: writer.rows,
    recoveredBytes: writer.recoveredBytes,
    seconds: 0,
    aborted: false,
  };
  const jobs = problems.flatMap((problem) => Array.from({ length: o.samples }, (_, s) => ({ problem, s })));
  let done = 0;
  try {
    await runOrdered(jobs, {
      parallel: o.parallel ?? 1,
      stop: () => {
        if (o.signal?.aborted) summary.aborted = true;
        return summary.aborted;
      },
      run: async ({ problem, s }) =>
        writer.has(problem.task, problem.id, s)
          ? null
          : collectRollout(engine, problem, s, o, exitCue, exitCueTokens, summary),
      onResult: ({ problem, s }, rollout) => {
        done++;
        let events = 0;
        if (rollout === null) summary.rolloutsSkipped++;
        else {
          writer.appendRollout(rollout.events, rollout.meta);
          summary.rolloutsWritten++;
          summary.events += rollout.events.length;
          for (const e of rollout.events) summary.positives += e.label;
          events = rollout.events.length;
        }
        summary.rows = writer.rows;
        o.onRollout?.({
          done,
          total: summary.rolloutsTotal,
          skipped: rollout === null,
          problemId: problem.id,
          rollout: s,
          events,
          rows: writer.rows,
        });
      },
    });
    return summary;
  } finally {
    writer.close();
    summary.rows = writer.rows;
    summary.seconds = (performance.now() - started) / 1000;
  }
}

/** Runs and labels one rollout (the caller writes it, in order). */
async function collectRollout(
  engine: Engine,
  problem: WorkProblem,
  sample: number,
  o: CollectOptions,
  exitCue: string,
  exitCueTokens: number[],
  summary: CollectSummary,
): Promise<{ events: NewEvent[]; meta: NewRollout }> {
  const seed = rolloutSeed(o.seed, problem.task, problem.id, sample);
  const prompt = engine.tokenize(engine.formatChat(problem.messages), { special: true });
  const pending: PendingEvent[] = [];
  const policy = collectorPolicy(problem, sample, o.layers, exitCueTokens.length, pending);
  const trace = await runReasoning(engine, prompt, policy, {
    sample: { temperature: o.temperature, topP: o.topP, topK: o.topK, seed },
    maxTokens: o.maxTokens,
    answerMaxTokens: o.exitMaxTokens,
    exitCue,
    cues: o.cues,
  });
  const generated = generatedTokens(trace);
  if (pending.length === 0) {
    summary.noCueRollouts++;
    if (o.syntheticNoCue) {
      const ev = await syntheticEvent(engine, problem, sample, prompt, generated, o, exitCue, exitCueTokens);
      if (ev) {
        pending.push(ev);
        summary.synthetic++;
      }
    }
  }
  const events: NewEvent[] = pending.map((e, i) => ({
    ...e,
    cueIndex: i,
    rolloutTokens: generated.length,
    rolloutThinkingTokens: trace.counts.thinking,
  }));
  const meta: NewRollout = {
    task: problem.task,
    problemId: problem.id,
    rollout: sample,
    seed,
    tokens: generated.length,
    thinkingTokens: trace.counts.thinking,
    exitReason: trace.exit.reason,
    finish: trace.finish,
    answer: trace.answerText,
    correct: trace.answerText.length > 0 && gradeAnswer(problem.kind, trace.answerText, problem.gold),
    gold: problem.gold,
  };
  return { events, meta };
}
