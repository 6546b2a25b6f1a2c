/**
 * Writes an R1-style thinking trace for a problem: an opening, planning paragraphs that restate the
 * question, steps with injected slips, "Wait" catches and intermediate checks, then redundant
 * re-verification after the answer ("Hmm, let me verify again …", "Alternatively, …") until the
 * trace reaches a length drawn independently of the problem, then `</think>` and the boxed answer in
 * one of the answer formats. Where the answer settles thus varies from the first cue to near the
 * end, while every trace is about as long: a model-blind position rule cannot tell one from the other.
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import { ANSWER_FORMATS, assistantTurn } from '../chatFormat.ts';
import { splitQwen2 } from '../tokenizer/pretokenize.ts';
import { logicOf } from './problems.ts';
import {
  type CueWord,
  DEFAULT_TRACE_OPTIONS,
  type Problem,
  type Trace,
  type TraceBelief,
  type TraceCue,
  type TraceOptions,
} from './types.ts';

const CUE_RE = /\b(wait|hmm|alternatively)\b/gi;

/** Accumulates the thinking text and records, at every cue, what a forced exit would answer. */
class ThinkingWriter {
  text = '';
  cues: TraceCue[] = [];
  beliefs: TraceBelief[] = [];
  /** The answer a forced exit would give now (the last stated final result), if any. */
  stated: string | null = null;
  firstCorrectPos = -1;
  firstAnswerPos = -1;
  /** Where the stated result last became the gold one (-1 while it is not). */
  settlePos = -1;

  constructor(
    private readonly gold: string,
    private readonly rng: SeededRandom,
    private readonly o: TraceOptions,
  ) {}

  /** Appends a segment: a new paragraph (a blank line, sometimes one newline), or inline after a space. */
  say(segment: string, inline = false): void {
    const sep =
      this.text === '' ? '' : inline ? ' ' : this.rng.next() < this.o.singleNewlineRate ? '\n' : '\n\n';
    const base = this.text.length + sep.length;
    const text = this.casing(segment);
    this.text += sep + text;
    for (const m of text.matchAll(CUE_RE)) {
      this.cues.push({
        cue: m[1].toLowerCase() as CueWord,
        charEnd: base + m.index! + m[1].length,
        exitCorrect: this.stated === this.gold,
        beforeAnswer: this.stated === null,
      });
    }
  }

  /** A leading cue word in lower case now and then ("wait, let me check"), as real traces have. */
  private casing(segment: string): string {
    if (!/^(Wait|Hmm|Alternatively|But wait)\b/.test(segment) || this.rng.next() >= this.o.lowerCueRate)
      return segment;
    return segment[0].toLowerCase() + segment.slice(1);
  }

  /** Records the answer the running state gives from here on (an intermediate result). */
  believe(answer: string | null): void {
    if (answer !== null) this.beliefs.push({ charEnd: this.text.length, answer, final: false });
  }

  /** Marks that the text so far states `answer` as the final result. */
  state(answer: string): void {
    this.stated = answer;
    this.beliefs.push({ charEnd: this.text.length, answer, final: true });
    if (this.firstAnswerPos < 0) this.firstAnswerPos = this.text.length;
    if (answer === this.gold && this.firstCorrectPos < 0) this.firstCorrectPos = this.text.length;
    if (answer !== this.gold) this.settlePos = -1;
    else if (this.settlePos < 0) this.settlePos = this.text.length;
  }
}

const EXPLORE_PREFIXES = [
  'Hmm, let me reread the question: ',
  'Wait, let me make sure I have this right: ',
  'Hmm, ',
  'Hmm, first, ',
  'Wait, ',
];
const PLAN_LINES = [
  'Let me be careful with each step.',
  'I should go one step at a time.',
  "Let me not rush this, it's easy to slip.",
  'Okay, now let me work it out.',
];
const CHECK_PREFIXES = [
  'Hmm, let me check that: ',
  'Wait, let me double-check: ',
  'Hmm, ',
  'Wait, is that right? ',
];
const CATCH_PREFIXES = ['Wait, ', 'Wait, ', 'Hmm, wait, ', 'Wait, hmm, ', 'But wait, '];
const VERIFY_PREFIXES = [
  'Hmm, let me verify again: ',
  'Wait, let me check once more: ',
  'Hmm, let me double-check: ',
  'Hmm, wait, let me check the steps again: ',
  'But wait, let me check: ',
];
const LAST_STEP_PREFIXES = [
  'Hmm, let me check the last step again: ',
  'Wait, let me recheck the last step: ',
];
const CONFIRMS = ['Yes.', 'Yes, that matches.', 'That checks out.', 'Same result.'];
const ALT_PREFIXES = ['Alternatively, ', 'Alternatively, ', 'Hmm, alternatively, '];

/** Draws an index with the given (unnormalized) weights. */
export function weighted(rng: SeededRandom, weights: readonly number[]): number {
  let r = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Generates one trace; every random choice comes from `rng`. */
export function generateTrace(
  problem: Problem,
  rng: SeededRandom,
  options: Partial<TraceOptions> = {},
): Trace {
  const o: TraceOptions = { ...DEFAULT_TRACE_OPTIONS, ...options };
  const L = logicOf(problem.family);
  const p = problem;
  const n = L.steps(p);
  const w = new ThinkingWriter(p.gold, rng, o);
  const questionPieces = splitQwen2(p.question).length;
  const thinkPieces = () => splitQwen2(w.text).length;
  const target = o.minThinkPieces + rng.int(Math.max(1, o.maxThinkPieces - o.minThinkPieces + 1));
  /** The answer a state gives, or null where it gives none yet (an empty order). */
  const answerOf = (s: unknown): string | null => {
    const a = L.answer(p, s);
    return typeof a === 'string' && a !== '' ? a : null;
  };
  let slips = 0;
  let caught = 0;

  // believed[i] = input of step i; believed[n] = the result.
  const believed: unknown[] = [L.start(p)];
  /** Steps whose slip went unnoticed so far. */
  let missed: number[] = [];
  w.say(L.opening(p, believed[0], rng));
  w.believe(answerOf(believed[0]));
  const exploreRounds = weighted(rng, o.exploreWeights);
  for (let e = 0; e < exploreRounds; e++) {
    const plan = rng.next() < 0.5 ? ` ${rng.pick(PLAN_LINES)}` : '';
    w.say(rng.pick(EXPLORE_PREFIXES) + L.restate(p, rng) + plan);
  }
  for (let i = 0; i < n; i++) {
    const input = believed[i];
    const right = L.apply(p, i, input);
    const last = i === n - 1;
    const result = (s: unknown) => {
      if (last && L.lastStepStatesAnswer) w.state(L.answer(p, s));
      else w.believe(answerOf(s));
    };
    if (rng.next() < o.slipRate) {
      const wrong = L.slip(p, i, input, right, rng);
      slips++;
      w.say(L.step(p, i, input, wrong, rng));
      result(wrong);
      if (rng.next() < o.catchRate) {
        caught++;
        w.say(rng.pick(CATCH_PREFIXES) + L.correction(p, i, input, wrong, right, rng), true);
        result(right);
        believed.push(right);
      } else {
        missed.push(i);
        believed.push(wrong);
      }
    } else {
      w.say(L.step(p, i, input, right, rng));
      result(right);
      believed.push(right);
      if (rng.next() < o.checkRate) {
        const alt = rng.next() < o.altRate ? L.altStep(p, i, input, right, rng) : null;
        w.say(
          alt ? rng.pick(ALT_PREFIXES) + alt : rng.pick(CHECK_PREFIXES) + L.check(p, i, input, right, rng),
          true,
        );
      }
    }
  }
  w.say(L.conclusion(p, believed[n], rng), L.lastStepStatesAnswer);
  w.state(L.answer(p, believed[n]));

  // A missed slip is found late with probability lateCatchRate, at a point drawn uniformly over the
  // re-checking that remains: some traces settle near their end.
  const afterAnswer = thinkPieces();
  let catchAt =
    missed.length && rng.next() < o.lateCatchRate
      ? afterAnswer + rng.next() * Math.max(0, target - afterAnswer)
      : Number.POSITIVE_INFINITY;
  let done = 0;
  for (; done < o.maxVerify; done++) {
    const pieces = thinkPieces();
    const pendingCatch = Number.isFinite(catchAt);
    if (done >= o.minVerify && pieces >= target && !pendingCatch) break;
    if (done > 0 && questionPieces + pieces >= o.maxPieces) break;
    if (pendingCatch && (pieces >= catchAt || pieces >= target || done === o.maxVerify - 1)) {
      // A recap that finds the first missed slip and redoes everything after it correctly.
      catchAt = Number.POSITIVE_INFINITY;
      const k = missed[0];
      const recap = Array.from({ length: k }, (_, i) => L.redo(p, i, believed[i], believed[i + 1]));
      recap.push(L.redo(p, k, believed[k], believed[k + 1]));
      w.say(rng.pick(VERIFY_PREFIXES) + recap.join(', ') + '.');
      const right = L.apply(p, k, believed[k]);
      w.say(rng.pick(CATCH_PREFIXES) + L.correction(p, k, believed[k], believed[k + 1], right, rng), true);
      caught++;
      believed[k + 1] = right;
      w.believe(answerOf(right));
      const redo: string[] = [];
      for (let i = k + 1; i < n; i++) {
        believed[i + 1] = L.apply(p, i, believed[i]);
        redo.push(L.redo(p, i, believed[i], believed[i + 1]));
      }
      if (redo.length) w.say(`Then ${redo.join(', ')}.`, true);
      missed = [];
      w.say(L.conclusion(p, believed[n], rng), true);
      w.state(L.answer(p, believed[n]));
      continue;
    }
    const altAll = !missed.length && rng.next() < o.altRate ? L.altAll(p, believed, rng) : null;
    if (altAll) {
      w.say(rng.pick(ALT_PREFIXES) + altAll);
      continue;
    }
    const r = rng.next();
    if (r < 0.2 && n > 1) {
      w.say(
        rng.pick(LAST_STEP_PREFIXES) +
          L.redo(p, n - 1, believed[n - 1], believed[n]) +
          '. ' +
          rng.pick(CONFIRMS),
      );
    } else if (r < 0.35) {
      const i = rng.int(n);
      const alt = missed.includes(i) ? null : L.altStep(p, i, believed[i], believed[i + 1], rng);
      w.say(
        alt
          ? rng.pick(ALT_PREFIXES) + alt
          : rng.pick(CHECK_PREFIXES) + L.check(p, i, believed[i], believed[i + 1], rng),
      );
    } else {
      const recap = Array.from({ length: n }, (_, i) => L.redo(p, i, believed[i], believed[i + 1]));
      w.say(rng.pick(VERIFY_PREFIXES) + recap.join(', ') + '. ' + rng.pick(CONFIRMS));
    }
  }
  const answer = L.answer(p, believed[n]);
  if (rng.next() < 0.7)
    w.say(
      rng.pick([
        `So the answer is ${answer}.`,
        `I'm confident the answer is ${answer}.`,
        `The final answer is ${answer}.`,
      ]),
    );
  const thinking = `${w.text}\n`;
  const answerText =
    ANSWER_FORMATS[
      weighted(
        rng,
        ANSWER_FORMATS.map((f) => f.share),
      )
    ].render(answer);
  return {
    thinking,
    answer,
    answerText,
    text: assistantTurn(thinking, answerText),
    meta: {
      steps: n,
      slips,
      caught,
      cueCount: w.cues.length,
      cues: w.cues,
      firstCorrectPos: w.firstCorrectPos,
      firstAnswerPos: w.firstAnswerPos,
      verifyRounds: done,
      correct: answer === p.gold,
      exploreRounds,
      beliefs: w.beliefs,
      settlePos: answer === p.gold ? w.settlePos : -1,
    },
  };
}
