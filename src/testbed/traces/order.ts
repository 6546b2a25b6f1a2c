/**
 * `order`: multiple-choice ordering of entities defined in the question ("We know that Ann A is taller
 * than Bo C. Bo C is taller than Cy B. Who is the shortest?\nOptions: Ann A, Cy B, Bo C."), answered with
 * a letter. Every name carries its option letter (see `tag`).
 * The analogue of a commonsense multiple-choice set for zero-shot transfer.
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import type { FamilyLogic } from './logic.ts';
import type { Problem } from './types.ts';

/** A comparative relation and its words. */
interface Relation {
  more: string;
  less: string;
  most: string;
  least: string;
}

const RELATIONS: readonly Relation[] = [
  { more: 'taller', less: 'shorter', most: 'tallest', least: 'shortest' },
  { more: 'older', less: 'younger', most: 'oldest', least: 'youngest' },
  { more: 'heavier', less: 'lighter', most: 'heaviest', least: 'lightest' },
  { more: 'faster', less: 'slower', most: 'fastest', least: 'slowest' },
];

const NAMES = [
  'Ann',
  'Bo',
  'Cy',
  'Dee',
  'Eli',
  'Fay',
  'Gus',
  'Hal',
  'Ida',
  'Jo',
  'Kay',
  'Lou',
  'Ned',
  'Pam',
  'Rex',
  'Sue',
];

/** What is asked: the first, second, last or second-to-last in the order. */
export type OrderAsk = 'most' | 'least' | 'second-most' | 'second-least';

/** The structured content of an order problem. */
export interface OrderData {
  /** Names from most to least (e.g. tallest first). */
  names: string[];
  relation: number;
  /** Facts in question order (which is chain order): chain link index and whether it is stated with the "less" word. */
  facts: Array<{ link: number; flipped: boolean }>;
  ask: OrderAsk;
  /** The options' names, A first. */
  options: string[];
}

/** Draws an order problem with 3–4 entities. */
export function drawOrder(rng: SeededRandom): OrderData {
  const n = 3 + rng.int(2);
  const names = rng.shuffle([...NAMES]).slice(0, n);
  const relation = rng.int(RELATIONS.length);
  // Facts come in chain order (most first), some stated with the "less" word. Training on problems with
  // shuffled facts (half of them) made the model lose the chain-order ones too (93% -> 50%): it could
  // no longer find the next link and wrote "Ida B is younger than Ida B".
  const facts = Array.from({ length: n - 1 }, (_, link) => ({ link, flipped: rng.next() < 0.4 }));
  const asks: OrderAsk[] = ['most', 'least', 'second-most', 'second-least'];
  const ask = n === 3 ? rng.pick(asks.slice(0, 3)) : rng.pick(asks);
  return { names, relation, facts, ask, options: rng.shuffle([...names]) };
}

const LETTERS = 'ABCDE';

/** Position in the order that the question asks for. */
function askIndex(ask: OrderAsk, n: number): number {
  return ask === 'most' ? 0 : ask === 'least' ? n - 1 : ask === 'second-most' ? 1 : n - 2;
}

function askWords(d: OrderData): string {
  const r = RELATIONS[d.relation];
  return d.ask === 'most'
    ? r.most
    : d.ask === 'least'
      ? r.least
      : d.ask === 'second-most'
        ? `second ${r.most}`
        : `second ${r.least}`;
}

/** The option letter of a name. */
const letterOf = (d: OrderData, name: string) => LETTERS[d.options.indexOf(name)];
/**
 * "Rex C": a name with its option letter. Every mention of a name, in the question's facts and in the
 * trace, carries its letter, so an entity is a two-token unit that the model copies with the facts.
 * With letters on the options line alone, the model had to look a letter up by name, and after 1200
 * more steps it still picked letters at chance (24%) while naming the right person 90% of the time.
 */
const tag = (d: OrderData, name: string) => `${name} ${letterOf(d, name)}`;
const tagged = (d: OrderData, xs: readonly string[]) => xs.map((x) => tag(d, x)).join(', ');

/** "Bo B is taller than Cy A" or, flipped, "Cy A is shorter than Bo B". */
function factText(d: OrderData, link: number, flipped: boolean): string {
  const r = RELATIONS[d.relation];
  const hi = d.names[link];
  const lo = d.names[link + 1];
  return flipped
    ? `${tag(d, lo)} is ${r.less} than ${tag(d, hi)}`
    : `${tag(d, hi)} is ${r.more} than ${tag(d, lo)}`;
}

/** Builds an order problem (without id). */
export function orderProblem(d: OrderData, _rng: SeededRandom): Omit<Problem, 'id'> {
  const facts = d.facts.map((f) => `${factText(d, f.link, f.flipped)}.`).join(' ');
  // "Jo C" as everywhere else: with "Jo (C)" on this line only, the letter sat three tokens after the
  // name and the 4-layer model picked it at chance (the name in its conclusion was right 87% of the time,
  // the letter after it 30%). One line, so every name follows a space, the same BPE piece as in the trace.
  const options = `Options: ${tagged(d, d.options)}.`;
  const target = d.names[askIndex(d.ask, d.names.length)];
  return {
    family: 'order',
    // The lead-in gives the first name a leading space: " Dee" and "Dee" are different BPE pieces.
    question: `We know that ${facts} Who is the ${askWords(d)}?\n${options}`,
    gold: letterOf(d, target),
    canonical: `order:${d.names.join('>')}|${RELATIONS[d.relation].more}|${d.ask}|${d.options.join(',')}`,
    data: d,
  };
}

const data = (p: Problem) => p.data as OrderData;
/** How step i states its fact: as in the question. */
const flippedOf = (d: OrderData, link: number) => d.facts.find((f) => f.link === link)!.flipped;

/** Solution steps and phrasing for order problems: the state is the believed order, most first. */
export const orderLogic: FamilyLogic<string[]> = {
  steps: (p) => data(p).names.length - 1,
  start: () => [],
  apply: (p, i, s) => {
    const names = data(p).names;
    return i === 0 ? [names[0], names[1]] : [...s, names[i + 1]];
  },
  // The slip: the new name goes before the one it should follow.
  slip: (p, i, s) => {
    const names = data(p).names;
    return i === 0 ? [names[1], names[0]] : [...s.slice(0, -1), names[i + 1], s[s.length - 1]];
  },
  answer: (p, s) => {
    const d = data(p);
    return letterOf(d, s[askIndex(d.ask, s.length)]);
  },
  otherAnswer: (p, a, rng) => {
    const letters = data(p).options.map((_, i) => LETTERS[i]);
    return rng.pick(letters.filter((l) => l !== a));
  },
  lastStepStatesAnswer: false,

  opening: (p, _s, rng) => {
    const r = RELATIONS[data(p).relation];
    return rng.pick([
      `Let me put them in order from ${r.most} to ${r.least}.`,
      `Okay, I need the order from ${r.most} to ${r.least}.`,
      `Let's chain the facts together, ${r.most} first.`,
    ]);
  },
  restate: (p, rng) => {
    const d = data(p);
    const facts = d.facts.map((f) => factText(d, f.link, f.flipped)).join(', and ');
    return rng.pick([
      `the question says ${facts}. I need the ${askWords(d)}.`,
      `so the facts are: ${facts}. The question asks for the ${askWords(d)}.`,
    ]);
  },
  step: (p, i, _s, out, rng) => {
    const d = data(p);
    // A lead-in word keeps names space-prefixed, so they are the same tokens as in the question.
    const f =
      (i === 0 ? 'First, ' : rng.pick(['Next, ', 'Then, ', 'Also, '])) + factText(d, i, flippedOf(d, i));
    // Short orders are written out; longer ones only say where the new name goes (the conclusion lists all).
    if (out.length <= 3 && rng.next() < 0.5)
      return rng.pick([`${f}, so the order is ${tagged(d, out)}.`, `${f}: ${tagged(d, out)}.`]);
    const k = out.indexOf(d.names[i + 1]);
    return k === out.length - 1
      ? `${f}, so ${tag(d, d.names[i + 1])} comes after ${tag(d, out[k - 1])}.`
      : `${f}, so ${tag(d, d.names[i + 1])} comes before ${tag(d, out[k + 1])}.`;
  },
  // A recap repeats what was believed: after a missed slip, the misread fact.
  redo: (p, i, s, out) => {
    const d = data(p);
    const right = orderLogic.apply(p, i, s);
    if (out.join() === right.join()) return factText(d, i, false);
    return `${tag(d, d.names[i + 1])} is ${RELATIONS[d.relation].more} than ${tag(d, d.names[i])}`;
  },
  correction: (p, i, _s, _wrong, right, rng) => {
    const d = data(p);
    const f = factText(d, i, false);
    return rng.pick([
      `${f}, so ${tag(d, d.names[i])} comes before ${tag(d, d.names[i + 1])}: ${tagged(d, right)}.`,
      `that's backwards. ${f}, so the order is ${tagged(d, right)}.`,
    ]);
  },
  check: (p, i, _s, _out, rng) => {
    const d = data(p);
    return rng.pick([
      `${factText(d, i, false)}, and ${tag(d, d.names[i])} comes before ${tag(d, d.names[i + 1])}. Yes.`,
      `${tag(d, d.names[i])} before ${tag(d, d.names[i + 1])}, that's right.`,
    ]);
  },
  altStep: (p, i) =>
    `${factText(data(p), i, true)}, so ${tag(data(p), data(p).names[i + 1])} goes after ${tag(data(p), data(p).names[i])}.`,
  conclusion: (p, s, rng) => {
    const d = data(p);
    const who = s[askIndex(d.ask, s.length)];
    const r = RELATIONS[d.relation];
    return rng.pick([
      `So the order is ${tagged(d, s)}, and the ${askWords(d)} is ${tag(d, who)}.`,
      `So from ${r.most} to ${r.least}: ${tagged(d, s)}. The ${askWords(d)} is ${tag(d, who)}.`,
    ]);
  },
  altAll: (p) => {
    const d = data(p);
    const r = RELATIONS[d.relation];
    const k = askIndex(d.ask, d.names.length);
    const who = d.names[k];
    const above = d.names.slice(0, k);
    const below = d.names.slice(k + 1);
    const parts: string[] = [];
    if (above.length)
      parts.push(`${tagged(d, above)} ${above.length === 1 ? 'is' : 'are'} ${r.more} than ${tag(d, who)}`);
    if (below.length) parts.push(`${tagged(d, below)} ${below.length === 1 ? 'is' : 'are'} ${r.less}`);
    return `${parts.join(', and ')}. So the ${askWords(d)} is ${tag(d, who)}.`;
  },
};
