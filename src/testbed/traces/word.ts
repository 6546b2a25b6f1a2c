/**
 * `word`: quantity word problems ("Mia has 12 apples. She buys 5 more, then gives 3 to Tom.
 * How many apples does Mia have now?"): the same arithmetic as `arith` under another surface form.
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import type { FamilyLogic } from './logic.ts';
import { numberSlip } from './slips.ts';
import type { Problem } from './types.ts';

/** One event: gaining k, losing k, or gaining k groups of m. */
export interface WordOp {
  kind: 'gain' | 'lose' | 'groups';
  k: number;
  m?: number;
  /** Index of the phrasing variant (fixed per problem so trace and question agree). */
  verb: number;
  /** The other person involved, if any. */
  other: string;
}

/** The structured content of a word problem. */
export interface WordData {
  name: string;
  pronoun: 'She' | 'He';
  item: string;
  start: number;
  ops: WordOp[];
}

const PEOPLE: ReadonlyArray<[string, 'She' | 'He']> = [
  ['Mia', 'She'],
  ['Tom', 'He'],
  ['Ann', 'She'],
  ['Leo', 'He'],
  ['Sam', 'He'],
  ['Zoe', 'She'],
  ['Max', 'He'],
  ['Eva', 'She'],
  ['Ben', 'He'],
  ['Ivy', 'She'],
  ['Raj', 'He'],
  ['Nina', 'She'],
];
const ITEMS = [
  'apples',
  'marbles',
  'stickers',
  'cards',
  'pencils',
  'cookies',
  'coins',
  'books',
  'shells',
  'stamps',
];
const CONTAINERS = ['bags', 'boxes', 'packs'];

const GAIN_VERBS = [
  (k: number) => `buys ${k} more`,
  (k: number) => `finds ${k} more`,
  (k: number, o: string) => `gets ${k} more from ${o}`,
];
const GAIN_PAST = [
  (k: number) => `buying ${k} more`,
  (k: number) => `finding ${k} more`,
  (k: number) => `getting ${k} more`,
];
const LOSE_VERBS = [
  (k: number, o: string) => `gives ${k} to ${o}`,
  (k: number) => `sells ${k}`,
  (k: number) => `loses ${k}`,
];
const LOSE_PAST = [
  (k: number) => `giving away ${k}`,
  (k: number) => `selling ${k}`,
  (k: number) => `losing ${k}`,
];

/** Draws a word problem: 5–60 items, then 2–4 events keeping the count non-negative. */
export function drawWord(rng: SeededRandom): WordData {
  const [name, pronoun] = rng.pick(PEOPLE);
  const others = PEOPLE.filter(([n]) => n !== name);
  const item = rng.pick(ITEMS);
  const start = 2 + rng.int(18);
  const n = 2 + rng.int(3);
  const ops: WordOp[] = [];
  let v = start;
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const other = rng.pick(others)[0];
    let o: WordOp;
    if (r < 0.2)
      o = { kind: 'groups', k: 2 + rng.int(2), m: 2 + rng.int(4), verb: rng.int(CONTAINERS.length), other };
    else if (r < 0.6 || v < 2)
      o = { kind: 'gain', k: 1 + rng.int(9), verb: rng.int(GAIN_VERBS.length), other };
    else o = { kind: 'lose', k: 1 + rng.int(Math.min(9, v)), verb: rng.int(LOSE_VERBS.length), other };
    ops.push(o);
    v = applyWord(v, o);
  }
  return { name, pronoun, item, start, ops };
}

/** How much an event changes the count. */
function delta(o: WordOp): number {
  return o.kind === 'lose' ? -o.k : o.kind === 'gain' ? o.k : o.k * o.m!;
}

/** Applies one event. */
export function applyWord(v: number, o: WordOp): number {
  return v + delta(o);
}

function eventPhrase(d: WordData, o: WordOp): string {
  if (o.kind === 'gain') return GAIN_VERBS[o.verb](o.k, o.other);
  if (o.kind === 'lose') return LOSE_VERBS[o.verb](o.k, o.other);
  return `buys ${o.k} ${CONTAINERS[o.verb]} with ${o.m} ${d.item} in each`;
}

/** Builds a word problem (without id). */
export function wordProblem(d: WordData, rng: SeededRandom): Omit<Problem, 'id'> {
  const ev = d.ops.map((o) => eventPhrase(d, o));
  const events =
    ev.length === 2
      ? `${ev[0]}, then ${ev[1]}`
      : `${ev.slice(0, -1).join(', then ')}, and then ${ev[ev.length - 1]}`;
  const ask = rng.pick([
    `How many ${d.item} does ${d.name} have now?`,
    `How many ${d.item} does ${d.name} have in the end?`,
  ]);
  const gold = d.ops.reduce(applyWord, d.start);
  return {
    family: 'word',
    question: `${d.name} has ${d.start} ${d.item}. ${d.pronoun} ${events}. ${ask}`,
    gold: String(gold),
    canonical: `word:${d.start}${d.ops.map((o) => (o.kind === 'groups' ? `+${o.k}x${o.m}` : delta(o) < 0 ? `${delta(o)}` : `+${delta(o)}`)).join('')}`,
    data: d,
  };
}

const data = (p: Problem) => p.data as WordData;

/** "17 + 5" or "17 + 12" for groups (the product is worked out in the step text). */
function expr(v: number, o: WordOp): string {
  return o.kind === 'lose' ? `${v} - ${o.k}` : `${v} + ${delta(o)}`;
}

/** Solution steps and phrasing for word problems. */
export const wordLogic: FamilyLogic<number> = {
  steps: (p) => data(p).ops.length,
  start: (p) => data(p).start,
  apply: (p, i, v) => applyWord(v, data(p).ops[i]),
  slip: (_p, _i, _v, right, rng) => numberSlip(right, rng),
  answer: (_p, v) => String(v),
  otherAnswer: (p, a, rng) => String(a === null ? data(p).start + rng.int(20) : numberSlip(Number(a), rng)),
  lastStepStatesAnswer: true,

  opening: (p, v, rng) => {
    const d = data(p);
    return rng.pick([
      `${d.name} starts with ${v} ${d.item}.`,
      `Okay, ${d.name} has ${v} ${d.item} at first.`,
      `Let me track the ${d.item}. At the start there are ${v}.`,
    ]);
  },
  restate: (p, rng) => {
    const d = data(p);
    const ev = d.ops.map((o) => eventPhrase(d, o));
    return rng.pick([
      `the question says ${d.name} has ${d.start} ${d.item}, then ${d.pronoun.toLowerCase()} ${ev.join(', then ')}.`,
      `so ${d.name} starts with ${d.start} ${d.item}, and there are ${ev.length} events: ${ev.join(', ')}.`,
    ]);
  },
  step: (p, i, v, out, rng) => {
    const d = data(p);
    const o = d.ops[i];
    if (o.kind === 'groups') {
      const g = o.k * o.m!;
      return rng.pick([
        `${o.k} ${CONTAINERS[o.verb]} of ${o.m} is ${o.k} * ${o.m} = ${g}, so ${v} + ${g} = ${out}.`,
        `${d.pronoun} buys ${o.k} * ${o.m} = ${g} more, so ${v} + ${g} = ${out}.`,
      ]);
    }
    const past = o.kind === 'gain' ? GAIN_PAST[o.verb](o.k) : LOSE_PAST[o.verb](o.k);
    const cap = past[0].toUpperCase() + past.slice(1);
    return rng.pick([
      `${d.pronoun} ${eventPhrase(d, o)}: ${expr(v, o)} = ${out}.`,
      `After ${past}: ${expr(v, o)} = ${out}.`,
      `${cap} gives ${expr(v, o)} = ${out}.`,
    ]);
  },
  redo: (p, i, v, out) => `${expr(v, data(p).ops[i])} = ${out}`,
  correction: (p, i, v, wrong, right, rng) => {
    const e = expr(v, data(p).ops[i]);
    return rng.pick([
      `${e} is ${right}, not ${wrong}. So it's ${right}.`,
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
    return o.kind === 'lose'
      ? `check by adding back: ${out} + ${o.k} = ${v}.`
      : `check by taking away: ${out} - ${delta(o)} = ${v}.`;
  },
  conclusion: (p, v, rng) => {
    const d = data(p);
    return rng.pick([
      `So ${d.name} has ${v} ${d.item} now.`,
      `That leaves ${v} ${d.item}.`,
      `So ${d.name} ends up with ${v} ${d.item}.`,
    ]);
  },
  altAll: (p, states) => {
    const d = data(p);
    const gains = d.ops.filter((o) => o.kind !== 'lose').map(delta);
    const losses = d.ops.filter((o) => o.kind === 'lose').map((o) => o.k);
    const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const sum = (xs: number[]) => (xs.length === 1 ? `${xs[0]}` : `${xs.join(' + ')} = ${total(xs)}`);
    const end = states[states.length - 1];
    const G = total(gains);
    const L = total(losses);
    if (!losses.length) return `count all the new ${d.item}: ${sum(gains)}, and ${d.start} + ${G} = ${end}.`;
    if (!gains.length)
      return `count all the ${d.item} that go: ${sum(losses)}, and ${d.start} - ${L} = ${end}.`;
    return `count the total change: ${d.pronoun.toLowerCase()} gains ${sum(gains)} and loses ${sum(losses)}, so ${d.start} + ${G} - ${L} = ${end}.`;
  },
};
