/**
 * Training / held-out corpora of problems with traces, as ChatML conversations. The split is a
 * hash partition of each problem's canonical form, so train and held-out never share a problem.
 */
import { SeededRandom } from '../../random/SeededRandom.ts';
import { conversationText, promptText, userMessage } from '../chatFormat.ts';
import { generateTrace } from './generateTrace.ts';
import { fnv1a } from './hash.ts';
import { generateProblem } from './problems.ts';
import { FAMILIES, type Family, type Problem, type Trace, type TraceOptions } from './types.ts';

/** Which side of the partition. */
export type Split = 'train' | 'heldout';

/** Options of `buildCorpus`. */
export interface CorpusOptions {
  seed: number;
  /** Number of items (problems × tracesPerProblem). */
  n: number;
  /** Families, used round-robin. Default all. */
  families?: readonly Family[];
  split: Split;
  /** Fraction of the problem space that is held out. Default 0.2. */
  heldoutFraction?: number;
  traceOptions?: Partial<TraceOptions>;
  /** Per-family trace options, over `traceOptions` (e.g. a higher slip rate for one family). */
  familyTraceOptions?: Partial<Record<Family, Partial<TraceOptions>>>;
  /** Independent traces per problem (different slips and checks). Default 1. */
  tracesPerProblem?: number;
}

/** One corpus item. */
export interface CorpusItem {
  problem: Problem;
  trace: Trace;
  /** The user message: question + the R1 instruction. */
  user: string;
  /** The prompt up to and including `<|im_start|>assistant\n<think>\n`. */
  prompt: string;
  /** The whole conversation: prompt + thinking + `</think>` + the answer text + `<|im_end|>`. */
  text: string;
}

/** The split a problem belongs to. */
export function splitOf(problem: Pick<Problem, 'canonical'>, heldoutFraction = 0.2): Split {
  return (fnv1a(`split:${problem.canonical}`) % 10000) / 10000 < heldoutFraction ? 'heldout' : 'train';
}

/** Builds a deterministic corpus of distinct problems from one split. */
export function buildCorpus(opts: CorpusOptions): CorpusItem[] {
  const families = opts.families ?? FAMILIES;
  const per = opts.tracesPerProblem ?? 1;
  const frac = opts.heldoutFraction ?? 0.2;
  if (!families.length) throw new Error('buildCorpus: no families');
  if (!Number.isInteger(opts.n) || opts.n < 0)
    throw new Error(`buildCorpus: n must be a non-negative integer, got ${opts.n}`);
  if (!(frac > 0 && frac < 1)) throw new Error(`buildCorpus: heldoutFraction must be in (0, 1), got ${frac}`);
  const rng = new SeededRandom(fnv1a(`corpus:${opts.seed}:${opts.split}`));
  const seen = new Set<string>();
  const items: CorpusItem[] = [];
  for (let j = 0; items.length < opts.n; j++) {
    const family = families[j % families.length];
    let problem: Problem | null = null;
    for (let attempt = 0; attempt < 10_000 && !problem; attempt++) {
      const p = generateProblem(family, rng);
      if (splitOf(p, frac) === opts.split && !seen.has(p.canonical)) problem = p;
    }
    if (!problem)
      throw new Error(`buildCorpus: ran out of distinct ${family} problems for split ${opts.split}`);
    seen.add(problem.canonical);
    const traceRng = rng.fork();
    const traceOptions = { ...opts.traceOptions, ...opts.familyTraceOptions?.[family] };
    for (let t = 0; t < per && items.length < opts.n; t++) {
      const trace = generateTrace(problem, traceRng, traceOptions);
      items.push({
        problem,
        trace,
        user: userMessage(problem.question),
        prompt: promptText(problem.question),
        text: conversationText(problem.question, trace.thinking, trace.answerText),
      });
    }
  }
  return items;
}
