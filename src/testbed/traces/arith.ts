/**
 * `arith`: multi-step integer arithmetic ("Start with 7, add 5, multiply by 3, subtract 4.").
 * Small numbers so a ~1M-parameter model can learn the facts in minutes (a first model trained on
 * operands up to 99 and results up to 999 never learned to compute): start 1–9, add/subtract
 * operands 1–9, multipliers 2–3, every intermediate result in [0, 30).
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import type { FamilyLogic } from './logic.ts';
import { numberSlip } from './slips.ts';
import type { Problem } from './types.ts';

/** One operation. */
export interface ArithOp {
  op: '+' | '-' | '*';
  k: number;
}

/** The structured content of an arith problem. */
export interface ArithData {
  start: number;
  ops: ArithOp[];
  /** The question's wording of each operation; the trace repeats it before computing, so a tiny
   * model can find its place in the question by matching text (an induction-head pattern). */
  phrases?: string[];
}

const LIMIT = 30;

/** Applies one operation. */
export function applyArith(v: number, o: ArithOp): number {
  return o.op === '+' ? v + o.k : o.op === '-' ? v - o.k : v * o.k;
}

/** Draws the start value and 2–6 operations (all results in range). */
export function drawArith(rng: SeededRandom): ArithData {
  const start = 1 + rng.int(9);
  // 2–6 operations, mostly few: long chains cost context and the model must still see them.
  const r = rng.next();
  const n = r < 0.3 ? 2 : r < 0.6 ? 3 : r < 0.82 ? 4 : r < 0.94 ? 5 : 6;
  const ops: ArithOp[] = [];
  let v = start;
  for (let i = 0; i < n; i++) {
    const choices: Array<ArithOp['op']> = ['+'];
    if (v >= 2) choices.push('-');
    if (v >= 2 && v * 2 < LIMIT) choices.push('*');
    let o: ArithOp;
    const kind = rng.pick(choices);
    if (kind === '*') {
      const maxK = Math.min(3, Math.floor((LIMIT - 1) / v));
      o = { op: '*', k: 2 + rng.int(maxK - 1) };
    } else if (kind === '-') {
      o = { op: '-', k: 1 + rng.int(Math.min(9, v)) };
    } else {
      o = { op: '+', k: 1 + rng.int(Math.min(9, LIMIT - 1 - v)) };
    }
    ops.push(o);
    v = applyArith(v, o);
  }
  return { start, ops };
}

function opPhrase(o: ArithOp, rng: SeededRandom): string {
  if (o.op === '+')
    return rng.pick([`add ${o.k}`, `add ${o.k}`, `increase it by ${o.k}`, `add ${o.k} to it`]);
  if (o.op === '-')
    return rng.pick([`subtract ${o.k}`, `subtract ${o.k}`, `take away ${o.k}`, `decrease it by ${o.k}`]);
  const named = o.k === 2 ? 'double it' : o.k === 3 ? 'triple it' : null;
  return named && rng.next() < 0.3 ? named : rng.pick([`multiply by ${o.k}`, `multiply it by ${o.k}`]);
}

/** Writes the question for arith data. */
export function arithQuestion(d: ArithData, rng: SeededRandom): string {
  const ph = d.phrases ?? d.ops.map((o) => opPhrase(o, rng));
  const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
  switch (rng.int(4)) {
    case 0:
      return `Start with ${d.start}, ${ph.join(', ')}. What is the result?`;
    case 1:
      return `Take ${d.start}. ${cap(ph[0])}, then ${ph.slice(1).join(', then ')}. What number do you get?`;
    case 2:
      return `Begin with the number ${d.start}. First ${ph.slice(0, -1).join(', then ')}, and finally ${ph[ph.length - 1]}. What is the final number?`;
    default:
      return `Start at ${d.start} and ${ph.slice(0, -1).join(', ')} and ${ph[ph.length - 1]}. What do you end up with?`;
  }
}

/** Builds an arith problem (without id). */
export function arithProblem(d: ArithData, rng: SeededRandom): Omit<Problem, 'id'> {
  const gold = d.ops.reduce(applyArith, d.start);
  const withPhrases: ArithData = { ...d, phrases: d.phrases ?? d.ops.map((o) => opPhrase(o, rng)) };
  return {
    family: 'arith',
    question: arithQuestion(withPhrases, rng),
    gold: String(gold),
    canonical: `arith:${d.start}${d.ops.map((o) => o.op + o.k).join('')}`,
    data: withPhrases,
  };
}

const data = (p: Problem) => p.data as ArithData;
const expr = (v: number, o: ArithOp) => `${v} ${o.op} ${o.k}`;

const CONNECTORS = ['First', 'Then', 'Next', 'Now', 'After that'];

/** Solution steps and phrasing for arith. */
export const arithLogic: FamilyLogic<number> = {
  steps: (p) => data(p).ops.length,
  start: (p) => data(p).start,
  apply: (p, i, v) => applyArith(v, data(p).ops[i]),
  slip: (_p, _i, _v, right, rng) => numberSlip(right, rng),
  answer: (_p, v) => String(v),
  otherAnswer: (_p, a, rng) => String(a === null ? rng.int(LIMIT) : numberSlip(Number(a), rng)),
  lastStepStatesAnswer: true,

  opening: (_p, v, rng) =>
    rng.pick([
      `We start with ${v}.`,
      `Okay, let's go step by step. We start with ${v}.`,
      `Let me compute this step by step, starting from ${v}.`,
      `Okay, so the starting number is ${v}.`,
    ]),
  restate: (p, rng) => {
    const d = data(p);
    const ph = d.phrases ?? d.ops.map((o) => opPhrase(o, rng));
    return rng.pick([
      `the question says: start with ${d.start}, then ${ph.join(', then ')}.`,
      `so there are ${d.ops.length} operations: ${ph.join(', ')}, starting from ${d.start}.`,
    ]);
  },
  step: (p, i, v, out, rng) => {
    const o = data(p).ops[i];
    const conn = i === 0 ? 'First' : rng.pick(CONNECTORS.slice(1));
    const verb =
      data(p).phrases?.[i] ??
      (o.op === '+' ? `add ${o.k}` : o.op === '-' ? `subtract ${o.k}` : `multiply by ${o.k}`);
    return rng.pick([
      `${conn}, ${verb}: ${expr(v, o)} = ${out}.`,
      `${conn} ${verb}, so ${expr(v, o)} = ${out}.`,
    ]);
  },
  redo: (p, i, v, out) => `${expr(v, data(p).ops[i])} = ${out}`,
  correction: (p, i, v, wrong, right, rng) => {
    const e = expr(v, data(p).ops[i]);
    return rng.pick([
      `${e} is ${right}, not ${wrong}. So we have ${right}.`,
      `${e} = ${right}, not ${wrong}. Let me fix that: ${right}.`,
      `that's wrong. ${e} is ${right}, not ${wrong}.`,
    ]);
  },
  check: (p, i, v, out, rng) => {
    const e = expr(v, data(p).ops[i]);
    return rng.pick([`${e} = ${out}. Yes.`, `${e} is ${out}, that's right.`, `${e} = ${out}, correct.`]);
  },
  altStep: (p, i, v, out) => {
    const o = data(p).ops[i];
    if (o.op === '*') {
      if (v >= 10 && v % 10 !== 0) {
        const t = v - (v % 10);
        return `${v} * ${o.k} = ${t} * ${o.k} + ${v % 10} * ${o.k} = ${t * o.k} + ${(v % 10) * o.k} = ${out}.`;
      }
      return `${o.k} * ${v} = ${out}, the same.`;
    }
    if (o.op === '+') {
      if (o.k >= 10 && o.k % 10 !== 0) {
        const t = o.k - (o.k % 10);
        return `${v} + ${o.k} = ${v} + ${t} + ${o.k % 10} = ${v + t} + ${o.k % 10} = ${out}.`;
      }
      return `${o.k} + ${v} = ${out}, the same.`;
    }
    return `check by adding back: ${out} + ${o.k} = ${v}.`;
  },
  conclusion: (_p, v, rng) =>
    rng.pick([
      `So the result is ${v}.`,
      `So the final number is ${v}.`,
      `That gives ${v}.`,
      `So we end up with ${v}.`,
    ]),
  altAll: (p, states) => {
    const ops = data(p).ops;
    const parts: string[] = [];
    for (let i = ops.length - 1; i >= 0; i--) {
      const o = ops[i];
      const inv = o.op === '+' ? '-' : o.op === '-' ? '+' : '/';
      parts.push(`${states[i + 1]} ${inv} ${o.k} = ${states[i]}`);
    }
    return `work backwards from ${states[ops.length]}: ${parts.join(', ')}, which is where we started.`;
  },
};
