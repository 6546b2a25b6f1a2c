// Testbed v2's instrument properties, checked on the training data itself (characters stand in for
// tokens: no tokenizer here): where the answer settles varies independently of the trace's length,
// cue forms are mixed, and exits in every method's format answer with the belief at the cut.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import {
  DEER_EXIT_CUE,
  DEER_TRIAL_SUFFIX,
  DYNASOR_PROBE_SUFFIX,
  LYNX_EXIT_CUE,
} from '../../src/reason/cueTexts.ts';
import { noThinkingPolicy } from '../../src/reason/policies/simple.ts';
import { ANSWER_FORMATS, ASSISTANT_PREFIX } from '../../src/testbed/chatFormat.ts';
import { beliefAt, EXIT_FORMATS, exitExample, noThinkingExample } from '../../src/testbed/exitExamples.ts';
import type { CorpusItem } from '../../src/testbed/traces/corpus.ts';
import { buildCorpus } from '../../src/testbed/traces/corpus.ts';

const corpus = buildCorpus({ seed: 17, n: 1500, split: 'train' });

/** Tokens-saved share and accuracy of exiting at the first cue a rule picks (forced answer = the cue's label). */
function simulate(items: CorpusItem[], pick: (it: CorpusItem) => number | undefined) {
  let used = 0;
  let full = 0;
  let right = 0;
  for (const it of items) {
    const m = it.trace.meta;
    const len = it.trace.thinking.length;
    full += len;
    const i = pick(it);
    if (i === undefined) {
      used += len;
      right += m.correct ? 1 : 0;
    } else {
      used += m.cues[i].charEnd;
      right += m.cues[i].exitCorrect ? 1 : 0;
    }
  }
  return { saving: 1 - used / full, accuracy: right / items.length };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

describe('testbed v2 traces', () => {
  it('settle at very different points of traces of similar length', () => {
    const settled = corpus.filter((it) => it.trace.meta.settlePos >= 0);
    const fractions = settled.map((it) => it.trace.meta.settlePos / it.trace.thinking.length);
    // Some settle in the first fifth, others in the last third (1500 traces: quantiles are stable to ~0.02).
    expect(quantile(fractions, 0.1)).toBeLessThan(0.25);
    expect(quantile(fractions, 0.9)).toBeGreaterThan(0.7);
    // Within a family, lengths vary far less: the 10–90% spread is under half the median length.
    for (const family of ['arith', 'word', 'order']) {
      const lengths = corpus
        .filter((it) => it.problem.family === family)
        .map((it) => it.trace.thinking.length);
      expect(quantile(lengths, 0.9) - quantile(lengths, 0.1), family).toBeLessThan(
        0.5 * quantile(lengths, 0.5),
      );
    }
  });

  it('give a model-blind position rule a small share of the oracle saving at vanilla accuracy', () => {
    const vanilla = simulate(corpus, () => undefined);
    const oracle = simulate(corpus, (it) => {
      const i = it.trace.meta.cues.findIndex((c) => c.exitCorrect);
      return i < 0 ? undefined : i;
    });
    expect(oracle.saving).toBeGreaterThan(0.35);
    let best = 0;
    for (let n = 0; n <= 2000; n += 20) {
      const r = simulate(corpus, (it) => {
        const i = it.trace.meta.cues.findIndex((c) => c.charEnd >= n);
        return i < 0 ? undefined : i;
      });
      if (r.accuracy >= vanilla.accuracy - 0.01) best = Math.max(best, r.saving);
    }
    // The acceptance bar is 70% of the oracle's saving for the trained model; the data sits far below it.
    expect(best / oracle.saving).toBeLessThan(0.3);
  });

  it('mix the cue forms: Wait, wait, Hmm, Alternatively, after a blank line, a newline or a space', () => {
    const forms = new Map<string, number>();
    let cues = 0;
    for (const { trace } of corpus)
      for (const c of trace.meta.cues) {
        const word = trace.thinking.slice(c.charEnd - c.cue.length, c.charEnd);
        const before = trace.thinking.slice(0, c.charEnd - c.cue.length);
        const lead = before.endsWith('\n\n') ? 'blank' : before.endsWith('\n') ? 'newline' : 'space';
        forms.set(`${word}/${lead}`, (forms.get(`${word}/${lead}`) ?? 0) + 1);
        cues++;
      }
    for (const form of [
      'Wait/blank',
      'Wait/newline',
      'Wait/space',
      'wait/blank',
      'wait/space',
      'Hmm/blank',
      'Hmm/newline',
      'Alternatively/blank',
      'Alternatively/newline',
    ])
      expect((forms.get(form) ?? 0) / cues, form).toBeGreaterThan(0.005);
  });

  it('record beliefs in order, ending with the stated answer', () => {
    for (const { trace } of corpus) {
      const b = trace.meta.beliefs;
      for (let i = 1; i < b.length; i++) expect(b[i].charEnd).toBeGreaterThanOrEqual(b[i - 1].charEnd);
      const finals = b.filter((x) => x.final);
      expect(finals.at(-1)?.answer).toBe(trace.answer);
    }
  });
});

describe('exit examples', () => {
  const rng = new SeededRandom(5);
  const suffixOf = {
    lynx: LYNX_EXIT_CUE,
    'deer-trial': DEER_TRIAL_SUFFIX,
    'deer-exit': DEER_EXIT_CUE,
    dynasor: DYNASOR_PROBE_SUFFIX,
  };

  it("append each method's published text without loss and answer with the belief at the cut", () => {
    for (const it of corpus.slice(0, 300))
      for (const format of EXIT_FORMATS) {
        const [prefix, suffix, answer] = exitExample(it.problem, it.trace, rng, format);
        expect(it.trace.thinking.startsWith(prefix.text)).toBe(true);
        expect([prefix.loss, suffix.loss, answer.loss]).toEqual([true, false, true]);
        expect(suffix.text).toBe(suffixOf[format]);
        const boxed = /\{?([^{}]+)\}/.exec(answer.text)?.[1];
        expect(boxed).toBeDefined();
        // Once the answer has settled, every exit gives it: the belief is then the stated, right one.
        const settle = it.trace.meta.settlePos;
        const finalAfter = it.trace.meta.beliefs.filter((b) => b.charEnd > prefix.text.length && b.final);
        if (
          settle >= 0 &&
          prefix.text.length >= settle &&
          finalAfter.every((b) => b.answer === it.problem.gold)
        )
          expect(boxed).toBe(it.problem.gold);
      }
  });

  it('answer before the answer settles with the running result or a guess, often wrong', () => {
    let early = 0;
    let wrong = 0;
    for (const it of corpus) {
      const first = it.trace.meta.beliefs.find((b) => b.final);
      if (!first) continue;
      const cut = Math.floor(first.charEnd / 2);
      if (cut < 1) continue;
      early++;
      if (beliefAt(it.problem, it.trace, cut, rng) !== it.problem.gold) wrong++;
    }
    expect(wrong / early).toBeGreaterThan(0.5);
  });

  it('are the rows the committed testbed model was trained on (a digest of 300 of each kind)', () => {
    const seeded = new SeededRandom(11);
    const rows = corpus
      .slice(0, 300)
      .map((it) => [exitExample(it.problem, it.trace, seeded), noThinkingExample(it.problem, seeded)]);
    const digest = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    expect(digest).toBe('2a13ab1091ed68f0410c60a6ea7c0532ac53e041363a79be15eff9bce61730d4');
  });

  it("answer NoThinking's prefill, exactly the policy's, in the boxed format", () => {
    const policyPrefill = noThinkingPolicy().prefill?.(undefined as never, `x${ASSISTANT_PREFIX}`);
    for (const it of corpus.slice(0, 50)) {
      const [prefill, answer] = noThinkingExample(it.problem, rng);
      expect(prefill).toEqual({ text: policyPrefill, loss: false });
      expect(answer.loss).toBe(true);
      expect(ANSWER_FORMATS.some((f) => `\n\n${answer.text}`.startsWith(f.render('').slice(0, 8)))).toBe(
        true,
      );
      expect(answer.text).toMatch(/\\boxed\{[^{}]+\}/);
    }
  });
});
