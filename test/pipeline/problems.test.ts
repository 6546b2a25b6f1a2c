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

  it('testbed slices train / calib / test are disjoint thirds; all is their union', () => {
    const sel = (slice: 'train' | 'calib' | 'test' | 'all') =>
      loadProblems({ dataset: 'testbed-arith', split: 'heldout', slice, limit: 300 }).map((p) => p.id);
    const [train, calib, test] = [sel('train'), sel('calib'), sel('test')].map((ids) => new Set(ids));
    for (const [a, b] of [
      [train, calib],
      [train, test],
      [calib, test],
    ])
      expect([...a].filter((id) => b.has(id))).toEqual([]);
    // Each third holds about a third of all problems.
    const all = sel('all');
    const share = all.filter((id) => test.has(id)).length / all.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.45);
    expect(() => loadProblems({ dataset: 'testbed', slice: 'dev' as 'test' })).toThrow(
      /train, calib, test or all/,
    );
    expect(() => loadProblems({ dataset: 'math_train', slice: 'test' })).toThrow(/evaluate on a benchmark/);
  });

  it('benchmark tasks keep their grading kind; --slice only for math_train', () => {
    const gsm = loadProblems({ dataset: 'gsm8k', limit: 3 });
    expect(gsm).toHaveLength(3);
    expect(gsm.every((p) => p.kind === 'gsm8k' && p.task === 'gsm8k')).toBe(true);
    expect(() => loadProblems({ dataset: 'gsm8k', slice: 'calib' })).toThrow(/math_train/);
    expect(() => loadProblems({ dataset: 'nope' })).toThrow(/unknown task/);
  });
});
