/**
 * Writes an R1-style thinking trace for a problem: steps with injected slips, "Wait" catches,
 * intermediate checks (cues before the answer), then redundant re-verification after the answer
 * ("Hmm, let me verify again …", "Alternatively, …"), then `</think> Final Answer: \boxed{X}`.
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import { assistantTurn } from '../chatFormat.ts';
import { splitQwen2 } from '../tokenizer/pretokenize.ts';
import { logicOf } from './problems.ts';
import {
  type CueWord,
  DEFAULT_TRACE_OPTIONS,
  type Problem,
  type Trace,
  type TraceCue,
  type TraceOptions,
} from './types.ts';

const CUE_RE = /\b(wait|hmm|alternatively)\b/gi;

/** Accumulates the thinking text and records, at every cue, what a forced exit would answer. */
class ThinkingWriter {
  text = '';
  cues: TraceCue[] = [];
  /** The answer a forced exit would give now (the last stated final result), if any. */
  stated: string | null = null;
  firstCorrectPos = -1;
  firstAnswerPos = -1;

  constructor(private readonly gold: string) {}

  /** Appends a segment, starting a new paragraph unless `inline`. */
  say(segment: string, inline = false): void {
    const sep = this.text === '' ? '' : inline ? ' ' : '\n\n';
    const base = this.text.length + sep.length;
    this.text += sep + segment;
    for (const m of segment.matchAll(CUE_RE)) {
      this.cues.push({
        cue: m[1].toLowerCase() as CueWord,
        charEnd: base + m.index! + m[1].length,
        exitCorrect: this.stated === this.gold,
        beforeAnswer: this.stated === null,
      });
    }
  }

  /** Marks that the text so far states `answer` as the final result. */
  state(answer: string): void {
    this.stated = answer;
    if (this.firstAnswerPos < 0) this.firstAnswerPos = this.text.length;
    if (answer === this.gold && this.firstCorrectPos < 0) this.firstCorrectPos = this.text.length;
  }
}

const CHECK_PREFIXES = [
  'Hmm, let me check that: ',
  'Wait, let me double-check: ',
  'Hmm, ',
  'Wait, is that right? ',
];
const CATCH_PREFIXES = ['Wait, ', 'Wait, ', 'Hmm, wait, ', 'Wait, hmm, '];
const VERIFY_PREFIXES = [
  'Hmm, let me verify again: ',
  'Wait, let me check once more: ',
  'Hmm, let me double-check: ',
  'Hmm, wait, let me check the steps again: ',
  'wait, let me check: ',
];
const LAST_STEP_PREFIXES = [
  'Hmm, let me check the last step again: ',
  'Wait, let me recheck the last step: ',
];
const CONFIRMS = ['Yes.', 'Yes, that matches.', 'That checks out.', 'Same result.'];
const ALT_PREFIXES = ['Alternatively, ', 'Alternatively, ', 'Hmm, alternatively, '];

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
  const w = new ThinkingWriter(p.gold);
  const questionPieces = splitQwen2(p.question).length;
  let slips = 0;
  let caught = 0;

  // believed[i] = input of step i; believed[n] = the result.
  const believed: unknown[] = [L.start(p)];
  /** Steps whose slip went unnoticed so far. */
  let missed: number[] = [];
  w.say(L.opening(p, believed[0], rng));
  for (let i = 0; i < n; i++) {
    const input = believed[i];
    const right = L.apply(p, i, input);
    const last = i === n - 1;
    if (rng.next() < o.slipRate) {
      const wrong = L.slip(p, i, input, right, rng);
      slips++;
      w.say(L.step(p, i, input, wrong, rng));
      if (last && L.lastStepStatesAnswer) w.state(L.answer(p, wrong));
      if (rng.next() < o.catchRate) {
        caught++;
        w.say(rng.pick(CATCH_PREFIXES) + L.correction(p, i, input, wrong, right, rng), true);
        if (last && L.lastStepStatesAnswer) w.state(L.answer(p, right));
        believed.push(right);
      } else {
        missed.push(i);
        believed.push(wrong);
      }
    } else {
      w.say(L.step(p, i, input, right, rng));
      if (last && L.lastStepStatesAnswer) w.state(L.answer(p, right));
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

  const rounds = o.minVerify + rng.int(o.maxVerify - o.minVerify + 1);
  let done = 0;
  for (; done < rounds; done++) {
    if (done > 0 && questionPieces + splitQwen2(w.text).length >= o.maxPieces) break;
    if (missed.length && rng.next() < o.lateCatchRate) {
      // A recap that finds the first missed slip and redoes everything after it correctly.
      const k = missed[0];
      const recap = Array.from({ length: k }, (_, i) => L.redo(p, i, believed[i], believed[i + 1]));
      recap.push(L.redo(p, k, believed[k], believed[k + 1]));
      w.say(rng.pick(VERIFY_PREFIXES) + recap.join(', ') + '.');
      const right = L.apply(p, k, believed[k]);
      w.say(rng.pick(CATCH_PREFIXES) + L.correction(p, k, believed[k], believed[k + 1], right, rng), true);
      caught++;
      believed[k + 1] = right;
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
  return {
    thinking,
    answer,
    text: assistantTurn(thinking, answer),
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
    },
  };
}
