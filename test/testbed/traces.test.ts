import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { findCues } from '../../src/cues/findCues.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import {
  ANSWER_FORMATS,
  ASSISTANT_PREFIX,
  assistantTurn,
  EXIT_CUE,
  promptText,
  TESTBED_CHAT_TEMPLATE,
  userMessage,
} from '../../src/testbed/chatFormat.ts';
import { buildCorpus, splitOf } from '../../src/testbed/traces/corpus.ts';
import { generateTrace } from '../../src/testbed/traces/generateTrace.ts';
import { generateProblem } from '../../src/testbed/traces/problems.ts';
import { FAMILIES, type Problem } from '../../src/testbed/traces/types.ts';

// ---- Independent solvers that read only the question text. ----

function solveArith(q: string): string {
  let v = Number(q.match(/\d+/)![0]);
  const re =
    /(add|increase it by|subtract|take away|decrease it by|multiply (?:it )?by) (\d+)|(double|triple) it/g;
  for (const m of q.toLowerCase().matchAll(re)) {
    if (m[3]) v *= m[3] === 'double' ? 2 : 3;
    else if (/^(add|increase)/.test(m[1])) v += Number(m[2]);
    else if (/^(subtract|take|decrease)/.test(m[1])) v -= Number(m[2]);
    else v *= Number(m[2]);
  }
  return String(v);
}

function solveWord(q: string): string {
  let v = Number(q.match(/ has (\d+) /)![1]);
  const body = q.slice(q.indexOf('.') + 1);
  const re =
    /buys (\d+) \w+ with (\d+) \w+ in each|(?:buys|finds|gets) (\d+) more|(?:gives|sells|loses) (\d+)/g;
  for (const m of body.matchAll(re)) {
    if (m[1]) v += Number(m[1]) * Number(m[2]);
    else if (m[3]) v += Number(m[3]);
    else v -= Number(m[4]);
  }
  return String(v);
}

const MORE = new Set(['taller', 'older', 'heavier', 'faster']);
const MOST = new Set(['tallest', 'oldest', 'heaviest', 'fastest']);

function solveOrder(q: string): string {
  const above = new Map<string, Set<string>>(); // name -> names ranked higher
  const names = new Set<string>();
  for (const m of q.matchAll(/(\w+) [A-E] is (\w+) than (\w+) [A-E]\./g)) {
    const [hi, lo] = MORE.has(m[2]) ? [m[1], m[3]] : [m[3], m[1]];
    names.add(hi).add(lo);
    if (!above.has(lo)) above.set(lo, new Set());
    above.get(lo)!.add(hi);
  }
  // Rank = number of names transitively above.
  const rank = (n: string, seen = new Set<string>()): number => {
    for (const h of above.get(n) ?? []) {
      if (seen.has(h)) continue;
      seen.add(h);
      rank(h, seen);
    }
    return seen.size;
  };
  const order = [...names].sort((a, b) => rank(a) - rank(b));
  const ask = q.match(/Who is the (second )?(\w+)\?/)!;
  const idx = MOST.has(ask[2]) ? (ask[1] ? 1 : 0) : ask[1] ? order.length - 2 : order.length - 1;
  const options = [...q.matchAll(/(\w+) ([A-E])[,.]/g)];
  return options.find((o) => o[1] === order[idx])![2];
}

const solve = (p: Problem) =>
  ({ arith: solveArith, word: solveWord, order: solveOrder })[p.family](p.question);

/** Evaluates "a op b op c" with * and / before + and -. */
function evalExpr(e: string): number {
  const toks = e.split(' ');
  const terms: number[] = [Number(toks[0])];
  const signs: string[] = [];
  for (let i = 1; i < toks.length; i += 2) {
    const op = toks[i];
    const x = Number(toks[i + 1]);
    if (op === '*') terms[terms.length - 1] *= x;
    else if (op === '/') terms[terms.length - 1] /= x;
    else {
      signs.push(op);
      terms.push(x);
    }
  }
  return terms.reduce((acc, t, i) => (i === 0 ? t : signs[i - 1] === '+' ? acc + t : acc - t));
}

/** Every chain of equalities "e1 = e2 = …" in a text, as lists of values. */
function equalities(text: string): number[][] {
  const re = /\d+(?: [-+*/] \d+)*(?: = \d+(?: [-+*/] \d+)*)+/g;
  return [...text.matchAll(re)].map((m) => m[0].split(' = ').map(evalExpr));
}

describe('problems', () => {
  it('have golds that an independent solver reads off the question', () => {
    const rng = new SeededRandom(21);
    for (const f of FAMILIES)
      for (let k = 0; k < 300; k++) {
        const p = generateProblem(f, rng);
        expect(p.gold, p.question).toBe(solve(p));
        expect(p.gold).toMatch(f === 'order' ? /^[A-E]$/ : /^\d+$/);
        expect(p.id.startsWith(`${f}-`)).toBe(true);
      }
  });

  it('tag every name in an order question and trace with its option letter', () => {
    const rng = new SeededRandom(23);
    for (let k = 0; k < 200; k++) {
      const p = generateProblem('order', rng);
      const letters = new Map(
        [...p.question.split('Options:')[1].matchAll(/(\w+) ([A-E])[,.]/g)].map((m) => [m[1], m[2]]),
      );
      const text = `${p.question}\n${generateTrace(p, rng).thinking}`;
      const names = [...letters.keys()].join('|');
      const mentions = [...text.matchAll(new RegExp(`\\b(${names})\\b( [A-E]\\b)?`, 'g'))];
      expect(mentions.length).toBeGreaterThan(2 * letters.size);
      for (const m of mentions) expect(m[2], `${m[0]} in ${text}`).toBe(` ${letters.get(m[1])}`);
    }
  });

  it('keep arith numbers in range: operands < 100, multipliers 2–9, results < 1000, 2–6 operations', () => {
    const rng = new SeededRandom(22);
    const counts = new Set<number>();
    for (let k = 0; k < 500; k++) {
      const p = generateProblem('arith', rng);
      const eq = generateTrace(p, rng, { slipRate: 0 }).thinking.match(
        /(?<![-+*/=] )\b\d+ [-+*] \d+ = \d+\b(?! [-+*/])/g,
      )!;
      counts.add((p.data as { ops: unknown[] }).ops.length);
      for (const e of eq) {
        const [a, op, b, , c] = e.split(' ');
        expect(Number(c)).toBeLessThan(1000);
        expect(Number(c)).toBeGreaterThanOrEqual(0);
        // "9 * 47" also appears, as the commuted check of "47 * 9".
        const small = Math.min(Number(a), Number(b));
        if (op === '*') {
          expect(small).toBeGreaterThanOrEqual(2);
          expect(small).toBeLessThanOrEqual(9);
        }
        // "9 + 470" also appears, as the commuted check of "470 + 9".
        else expect(small).toBeLessThan(100);
        expect(Number(a)).toBeLessThan(1000);
      }
    }
    expect([...counts].sort()).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('generateTrace', () => {
  const corpus = buildCorpus({ seed: 5, n: 900, split: 'train' });

  it('writes the R1 format: <think> … </think> then the boxed answer in one of the answer formats', () => {
    const formats = new Map<string, number>();
    for (const { trace, problem, text, prompt } of corpus) {
      expect(trace.text).toBe(assistantTurn(trace.thinking, trace.answerText));
      expect(trace.text.startsWith('<think>\n')).toBe(true);
      const format = ANSWER_FORMATS.findIndex((f) => f.render(trace.answer) === trace.answerText);
      expect(format).toBeGreaterThanOrEqual(0);
      formats.set(String(format), (formats.get(String(format)) ?? 0) + 1);
      expect(trace.thinking).not.toContain('</think>');
      expect(text).toBe(`${prompt}${trace.thinking}</think>${trace.answerText}<|im_end|>`);
      if (format === 0) expect(text).toBe(`${prompt}${trace.thinking}${EXIT_CUE}${trace.answer}}<|im_end|>`);
      expect(prompt).toBe(promptText(problem.question));
      expect(prompt.endsWith(ASSISTANT_PREFIX)).toBe(true);
      expect(trace.meta.correct).toBe(trace.answer === problem.gold);
    }
    // Every format is used, each near its share (binomial sd over the corpus < 0.02; tolerance 0.07).
    ANSWER_FORMATS.forEach((f, i) => {
      expect(Math.abs((formats.get(String(i)) ?? 0) / corpus.length - f.share)).toBeLessThan(0.07);
    });
  });

  it('records exactly the cues LYNX would find, all as whole words', () => {
    for (const { trace } of corpus) {
      const found = findCues([trace.thinking]);
      expect(found.map((c) => c.charEnd)).toEqual(
        trace.meta.cues.map((c) => c.charEnd).sort((a, b) => a - b),
      );
      expect(findCues([trace.thinking], { mode: 'word' })).toHaveLength(found.length);
      expect(trace.meta.cueCount).toBe(found.length);
    }
  });

  it('labels cues consistently with where the correct result first appears', () => {
    for (const { trace, problem } of corpus) {
      const m = trace.meta;
      for (const c of m.cues) {
        if (c.exitCorrect) expect(c.charEnd).toBeGreaterThan(m.firstCorrectPos);
        if (c.beforeAnswer) expect(c.exitCorrect).toBe(false);
        expect(c.beforeAnswer).toBe(c.charEnd <= m.firstAnswerPos);
      }
      if (m.firstCorrectPos >= 0) {
        const upTo = trace.thinking.slice(0, m.firstCorrectPos);
        if (problem.family === 'order') expect(upTo.endsWith(` ${problem.gold}.`)).toBe(true);
        else expect(upTo).toMatch(new RegExp(`\\b${problem.gold}\\b`));
      }
      if (m.correct) expect(m.firstCorrectPos).toBeGreaterThanOrEqual(0);
    }
  });

  it('has only true equations when nothing slips', () => {
    const rng = new SeededRandom(9);
    for (let k = 0; k < 600; k++) {
      const p = generateProblem(FAMILIES[k % 2], rng);
      const t = generateTrace(p, rng, { slipRate: 0 });
      expect(t.meta.slips).toBe(0);
      expect(t.answer).toBe(p.gold);
      for (const chain of equalities(t.thinking)) for (const v of chain) expect(v, t.thinking).toBe(chain[0]);
    }
  });

  it('fixes every slip when all are caught, and ends wrong when none is', () => {
    const rng = new SeededRandom(10);
    let coincidences = 0;
    let uncaught = 0;
    for (let k = 0; k < 300; k++) {
      const p = generateProblem(FAMILIES[k % 3], rng);
      const all = generateTrace(p, rng, { slipRate: 1, catchRate: 1 });
      expect(all.meta.slips).toBe(all.meta.steps);
      expect(all.meta.caught).toBe(all.meta.slips);
      expect(all.answer).toBe(p.gold);
      if (p.family === 'order') continue; // a misplaced name may not change the asked position
      const none = generateTrace(p, rng, { slipRate: 1, catchRate: 0, lateCatchRate: 0 });
      expect(none.meta.caught).toBe(0);
      uncaught++;
      // Two slips can cancel out; then the trace is simply right.
      if (none.answer === p.gold) coincidences++;
      else expect(none.meta.cues.every((c) => !c.exitCorrect)).toBe(true);
    }
    // Results stay below 30, so two slips cancel more often than with large numbers (measured 8% at seed 10).
    expect(coincidences / uncaught).toBeLessThan(0.12);
  });

  it('hits the rate targets with default options (seeded; tolerances stated)', () => {
    let cues = 0;
    let wrong = 0;
    let slips = 0;
    let steps = 0;
    let caught = 0;
    const rel: number[] = [];
    for (const { trace } of corpus) {
      const m = trace.meta;
      cues += m.cueCount;
      wrong += m.cues.filter((c) => !c.exitCorrect).length;
      slips += m.slips;
      caught += m.caught;
      steps += m.steps;
      const first = m.cues.find((c) => c.exitCorrect);
      if (first) rel.push(first.charEnd / trace.thinking.length);
    }
    expect(cues / corpus.length).toBeGreaterThanOrEqual(3);
    expect(wrong / cues).toBeGreaterThan(0.15);
    expect(wrong / cues).toBeLessThan(0.7);
    // ~2700 steps at slipRate 0.1: binomial sd ≈ 0.006, so ±0.025 is > 4 sd.
    expect(Math.abs(slips / steps - 0.1)).toBeLessThan(0.025);
    // Immediate catches alone are 60%; late catches add more.
    expect(caught / slips).toBeGreaterThan(0.6);
    // Chars, not tokens (no tokenizer here): the earliest correct exit sits in the first half.
    expect(rel.reduce((a, b) => a + b, 0) / rel.length).toBeLessThan(0.5);
    // Each family contributes cues before the answer (intermediate checks).
    for (const f of FAMILIES) {
      const fam = corpus.filter((it) => it.problem.family === f);
      const before = fam.reduce((a, it) => a + it.trace.meta.cues.filter((c) => c.beforeAnswer).length, 0);
      expect(before / fam.length, f).toBeGreaterThan(0.3);
    }
  });
});

describe('buildCorpus', () => {
  it('is deterministic under a seed and distinct across seeds', () => {
    const a = buildCorpus({ seed: 1, n: 60, split: 'train' });
    const b = buildCorpus({ seed: 1, n: 60, split: 'train' });
    const c = buildCorpus({ seed: 2, n: 60, split: 'train' });
    expect(a.map((it) => it.text)).toEqual(b.map((it) => it.text));
    expect(a.map((it) => it.text)).not.toEqual(c.map((it) => it.text));
  });

  it('keeps train and held-out problems disjoint, distinct, and families balanced', () => {
    const train = buildCorpus({ seed: 4, n: 1500, split: 'train' });
    const held = buildCorpus({ seed: 4, n: 300, split: 'heldout' });
    const trainKeys = new Set(train.map((it) => it.problem.canonical));
    expect(trainKeys.size).toBe(train.length);
    for (const it of held) {
      expect(trainKeys.has(it.problem.canonical)).toBe(false);
      expect(splitOf(it.problem)).toBe('heldout');
    }
    for (const f of FAMILIES) expect(train.filter((it) => it.problem.family === f)).toHaveLength(500);
  });

  it('holds out about the requested fraction of the problem space', () => {
    const rng = new SeededRandom(31);
    let held = 0;
    const n = 3000;
    for (let k = 0; k < n; k++) if (splitOf(generateProblem(FAMILIES[k % 3], rng)) === 'heldout') held++;
    // sd ≈ 0.0073 at n = 3000; tolerance 0.03.
    expect(Math.abs(held / n - 0.2)).toBeLessThan(0.03);
  });

  it('gives several different traces per problem when asked', () => {
    const items = buildCorpus({ seed: 6, n: 40, split: 'train', tracesPerProblem: 4 });
    expect(new Set(items.map((it) => it.problem.id)).size).toBe(10);
    expect(new Set(items.map((it) => it.text)).size).toBeGreaterThan(30);
  });
});

describe('chat template', () => {
  it('renders exactly the training prompt, with the generation prompt opening <think>', () => {
    const t = new Template(TESTBED_CHAT_TEMPLATE);
    for (const it of buildCorpus({ seed: 8, n: 9, split: 'heldout' })) {
      const rendered = t.render({
        messages: [{ role: 'user', content: userMessage(it.problem.question) }],
        add_generation_prompt: true,
      });
      expect(rendered).toBe(it.prompt);
    }
  });

  it('keeps only the answer of earlier assistant turns', () => {
    const t = new Template(TESTBED_CHAT_TEMPLATE);
    const out = t.render({
      messages: [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: assistantTurn('Hmm, 2.\n', ' Final Answer: \\boxed{2}') },
        { role: 'user', content: 'q2' },
      ],
      add_generation_prompt: true,
    });
    expect(out).toBe(
      '<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\nFinal Answer: \\boxed{2}<|im_end|>\n' +
        '<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n<think>\n',
    );
  });
});
