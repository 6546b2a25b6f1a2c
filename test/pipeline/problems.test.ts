import { describe, expect, it } from 'vitest';
import { gradeAnswer } from '../../src/answers/grade.ts';
import { loadProblems } from '../../src/pipeline/problems.ts';
import { LYNX_EXIT_CUE } from '../../src/reason/cueTexts.ts';
import { MATH_INSTRUCTION } from '../../src/tasks/prompts.ts';

describe('problem selection', () => {
  it('testbed slices are deterministic, distinct and disjoint; answers grade by family', () => {
    const train = loadProblems({ dataset: 'testbed', slice: 'train', limit: 60 });
    const again = loadProblems({ dataset: 'testbed', slice: 'train', limit: 60 });
    const calib = loadProblems({ dataset: 'testbed', slice: 'calib', limit: 60 });
    expect(again).toEqual(train);
    expect(new Set(train.map((p) => p.id)).size).toBe(60);
    const trainIds = new Set(train.map((p) => p.id));
    expect(calib.some((p) => trainIds.has(p.id))).toBe(false);
    expect(new Set(train.map((p) => p.id.split('-')[0]))).toEqual(new Set(['arith', 'word', 'order']));
    for (const p of train) {
      expect(p.messages).toEqual([
        { role: 'user', content: expect.stringContaining(`\n${MATH_INSTRUCTION}`) },
      ]);
      // A forced exit that boxes the gold is correct, one that boxes something else is not.
      expect(gradeAnswer(p.kind, `${LYNX_EXIT_CUE}${p.gold}}`, p.gold)).toBe(true);
      const wrong = p.kind === 'mcq' ? (p.gold === 'A' ? 'B' : 'A') : String(Number(p.gold) + 1);
      expect(gradeAnswer(p.kind, `${LYNX_EXIT_CUE}${wrong}}`, p.gold)).toBe(false);
    }
    expect(
      loadProblems({ dataset: 'testbed-order', split: 'heldout', limit: 5 }).every((p) => p.kind === 'mcq'),
    ).toBe(true);
    expect(() => loadProblems({ dataset: 'testbed', split: 'test' })).toThrow(/train or heldout/);
  });

  it('testbed slices train / calib are thirds, dev / test halve the last third; all disjoint', () => {
    type Slice = 'train' | 'calib' | 'dev' | 'test' | 'all';
    const sel = (slice: Slice) =>
      loadProblems({ dataset: 'testbed-arith', split: 'heldout', slice, limit: 300 }).map((p) => p.id);
    const parts = (['train', 'calib', 'dev', 'test'] as const).map((s) => new Set(sel(s)));
    for (const [i, a] of parts.entries())
      for (const b of parts.slice(i + 1)) expect([...a].filter((id) => b.has(id))).toEqual([]);
    // Shares of all problems: a third each for train and calib, a sixth each for dev and test.
    const all = sel('all');
    const share = (s: Set<string>) => all.filter((id) => s.has(id)).length / all.length;
    const [train, , dev, test] = parts;
    expect(share(train)).toBeGreaterThan(0.25);
    expect(share(train)).toBeLessThan(0.42);
    for (const half of [dev, test]) {
      expect(share(half)).toBeGreaterThan(0.1);
      expect(share(half)).toBeLessThan(0.24);
    }
    expect(() => loadProblems({ dataset: 'testbed', slice: 'eval' as 'test' })).toThrow(
      /train, calib, dev, test or all/,
    );
    expect(() => loadProblems({ dataset: 'math_train', slice: 'test' })).toThrow(/evaluate on a benchmark/);
  });

  it('benchmarks: dev and test are a seeded partition of the split, disjoint and covering it', () => {
    const ids = (slice: 'dev' | 'test' | 'all', dataSeed = 42) =>
      loadProblems({ dataset: 'gsm8k', slice, dataSeed }).map((p) => p.id);
    const all = ids('all');
    const dev = ids('dev');
    const test = ids('test');
    expect([...dev, ...test].sort()).toEqual([...all].sort());
    expect(dev.filter((id) => test.includes(id))).toEqual([]);
    expect(dev.length / all.length).toBeGreaterThan(0.4);
    expect(dev.length / all.length).toBeLessThan(0.6);
    // The order of the file is kept within a half, and another seed draws another partition.
    expect(dev).toEqual(all.filter((id) => dev.includes(id)));
    expect(ids('dev', 7)).not.toEqual(dev);
    expect(loadProblems({ dataset: 'gsm8k', slice: 'test', limit: 4 }).map((p) => p.id)).toEqual(
      test.slice(0, 4),
    );
  });

  it('benchmark tasks keep their grading kind; train / calib slices only for math_train', () => {
    const gsm = loadProblems({ dataset: 'gsm8k', limit: 3 });
    expect(gsm).toHaveLength(3);
    expect(gsm.every((p) => p.kind === 'gsm8k' && p.task === 'gsm8k')).toBe(true);
    expect(() => loadProblems({ dataset: 'gsm8k', slice: 'calib' })).toThrow(/math_train/);
    expect(() => loadProblems({ dataset: 'nope' })).toThrow(/unknown task/);
  });
});
