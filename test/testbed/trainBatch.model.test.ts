import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../src/testbed/tokenizer/index.ts';
import { buildCorpus } from '../../src/testbed/traces/index.ts';
import {
  encodeConversation,
  makeBatch,
  parseFamilies,
  parseFamilySlipRates,
  resultTokenFlags,
  validateDataOptions,
} from '../../src/testbed/trainTestbed.ts';

const tok = BpeTokenizer.fromJSON(JSON.parse(readFileSync('models/testbed.tokenizer.json', 'utf8')));

/** The flagged pieces of a text, each run of consecutive flagged tokens joined. */
function flaggedRuns(text: string): string[] {
  const ids = tok.encode(text, { special: true });
  const flags = resultTokenFlags(tok, ids);
  const runs: string[] = [];
  ids.forEach((id, i) => {
    if (!flags[i]) return;
    const piece = tok.decode([id]);
    if (i > 0 && flags[i - 1]) runs[runs.length - 1] += piece;
    else runs.push(piece);
  });
  return runs;
}

describe('result-token loss weights', () => {
  it('flags the numbers after " = ", the boxed answer and the option letter, nothing else', () => {
    expect(flaggedRuns('First, add 8: 1 + 8 = 19. Then 19 - 3 = 16, 16 is it. Add 12.')).toEqual([
      '19',
      '16',
    ]);
    expect(flaggedRuns('</think> Final Answer: \\boxed{24}')).toEqual(['24']);
    expect(flaggedRuns('The youngest is Ann (C). Options: Bo, then (A) first.')).toEqual(['C', 'A']);
    expect(flaggedRuns('So the oldest is Bo B. I think A is it, Cy D.')).toEqual([' B', ' D']);
    expect(flaggedRuns('</think> Final Answer: \\boxed{B}')).toEqual(['B']);
  });

  it('weights result targets by resultWeight, other assistant tokens by 1 and the prompt by 0', () => {
    const opts = { seed: 3, batchSize: 2, seqLen: 384 };
    const plain = makeBatch(tok, 0, opts);
    const weighted = makeBatch(tok, 0, { ...opts, resultWeight: 4 });
    expect(weighted.tokens).toEqual(plain.tokens);
    expect(new Set(plain.mask)).toEqual(new Set([0, 1]));
    expect(new Set(weighted.mask)).toEqual(new Set([0, 1, 4]));
    // Same support; weight 4 exactly where a result token sits.
    const [item] = buildCorpus({ seed: 3 * 1_000_003, n: 4, split: 'train' });
    const enc = encodeConversation(tok, item);
    const flags = resultTokenFlags(tok, enc.ids);
    for (let i = 0; i < enc.ids.length; i++) {
      expect(weighted.mask[i]).toBe(i < enc.completionStart ? 0 : flags[i] ? 4 : 1);
    }
  });

  it('draws families in the given round-robin mix and rejects unknown ones', () => {
    expect(parseFamilies('arith, order,order')).toEqual(['arith', 'order', 'order']);
    expect(() => parseFamilies('arith,logic')).toThrow(/unknown testbed family "logic"/);
    const batch = makeBatch(tok, 5, { seed: 2, batchSize: 8, seqLen: 384, families: 'order' });
    const text = tok.decode(Array.from(batch.tokens));
    expect(text.match(/Options:/g)?.length).toBe(8);
    const mixed = tok.decode(
      Array.from(
        makeBatch(tok, 5, { seed: 2, batchSize: 8, seqLen: 384, families: 'arith,order,order,order' }).tokens,
      ),
    );
    expect(mixed.match(/Options:/g)?.length).toBe(6);
  });

  it('rejects NaN or out-of-range data options before training', () => {
    const ok = { resultWeight: 4, families: 'arith,word', slipRate: 0.2 };
    expect(() => validateDataOptions(ok)).not.toThrow();
    expect(() => validateDataOptions({ ...ok, resultWeight: Number.NaN })).toThrow(/--result-weight/);
    expect(() => validateDataOptions({ ...ok, resultWeight: 0 })).toThrow(/--result-weight/);
    expect(() => validateDataOptions({ ...ok, slipRate: 1.5 })).toThrow(/--slip-rate/);
    expect(() => validateDataOptions({ ...ok, slipRate: Number.NaN })).toThrow(/--slip-rate/);
    expect(() => validateDataOptions({ ...ok, families: 'arith,' })).toThrow(/unknown testbed family/);
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'order=0.4' })).not.toThrow();
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'order=1.2' })).toThrow(/rate of order/);
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'order=x' })).toThrow(/rate of order/);
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'order' })).toThrow(/FAMILY=RATE/);
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'logic=0.1' })).toThrow(
      /unknown testbed family/,
    );
    expect(() => validateDataOptions({ ...ok, familySlipRates: 'order=0.1,order=0.2' })).toThrow(/twice/);
  });

  it('gives one family its own slip rate (--family-slip-rates) and leaves the others at --slip-rate', () => {
    expect(parseFamilySlipRates('order=0.4, word=0')).toEqual({ order: 0.4, word: 0 });
    expect(parseFamilySlipRates('')).toEqual({});
    // Slips per step, counted from the traces the batches are built from.
    const slipsPerStep = (familyTraceOptions: Parameters<typeof buildCorpus>[0]['familyTraceOptions']) => {
      const items = buildCorpus({
        seed: 5,
        n: 600,
        split: 'train',
        traceOptions: { slipRate: 0.2 },
        familyTraceOptions,
      });
      const rate = (f: string) => {
        const its = items.filter((it) => it.problem.family === f);
        return (
          its.reduce((a, it) => a + it.trace.meta.slips, 0) /
          its.reduce((a, it) => a + it.trace.meta.steps, 0)
        );
      };
      return { arith: rate('arith'), order: rate('order') };
    };
    const base = slipsPerStep(undefined);
    const high = slipsPerStep({ order: { slipRate: 0.6 } });
    // 200 order problems with 502 steps: the SE of a per-step rate is at most 0.022, so 0.08 is ≥ 3.6 SE.
    expect(Math.abs(base.order - 0.2)).toBeLessThan(0.08);
    expect(Math.abs(high.order - 0.6)).toBeLessThan(0.08);
    expect(high.arith).toBe(base.arith);
  });
});

describe('exit and NoThinking rows', () => {
  it('tokenize each segment on its own and take no loss on the text a method appends', () => {
    const [item] = buildCorpus({ seed: 8, n: 1, split: 'train' });
    const segments = [
      { text: item.trace.thinking.slice(0, 40), loss: true },
      { text: '</think> Final Answer: \\boxed{', loss: false },
      { text: '7}<|im_end|>', loss: true },
    ];
    const enc = encodeConversation(tok, item, segments);
    const parts = segments.map((s) => tok.encode(s.text, { special: true }));
    const prompt = tok.encode(item.prompt, { special: true });
    expect(enc.ids).toEqual([...prompt, ...parts.flat()]);
    const lossFree = enc.ids.map((_, i) => enc.noLoss?.[i] ?? false);
    expect(lossFree).toEqual([
      ...prompt.map(() => true),
      ...parts[0].map(() => false),
      ...parts[1].map(() => true),
      ...parts[2].map(() => false),
    ]);
  });

  it('make the requested share of rows exit or NoThinking examples, masked in the batch', () => {
    const opts = { seed: 4, batchSize: 8, seqLen: 512 };
    const plain = makeBatch(tok, 0, opts);
    const exits = makeBatch(tok, 0, { ...opts, exitExampleRate: 1 });
    // Every row of `exits` is cut short: fewer targets than the whole traces of `plain`.
    const targets = (m: Float32Array) => m.reduce((a, x) => a + (x > 0 ? 1 : 0), 0);
    expect(targets(exits.mask)).toBeLessThan(0.8 * targets(plain.mask));
    // A masked-out run inside the completion (the appended exit text) exists in every row.
    for (let r = 0; r < 8; r++) {
      const row = exits.mask.subarray(r * 513, (r + 1) * 513);
      const firstTarget = row.findIndex((x) => x > 0);
      const gap = row.findIndex((x, i) => i > firstTarget && x === 0 && row.slice(i).some((y) => y > 0));
      expect(gap, `row ${r}`).toBeGreaterThan(firstTarget);
    }
    expect(() =>
      validateDataOptions({
        resultWeight: 4,
        families: 'arith',
        slipRate: 0.1,
        exitExampleRate: 0.9,
        nothinkingRate: 0.2,
      }),
    ).toThrow(/sum <= 1/);
  });
});
