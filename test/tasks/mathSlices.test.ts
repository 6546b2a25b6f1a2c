import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { lastBoxedContent } from '../../src/tasks/boxed.ts';
import { MATH_SUBJECTS } from '../../src/tasks/loaders/mathTrain.ts';
import { selectMathSlice } from '../../src/tasks/mathSlices.ts';
import { loadTask } from '../../src/tasks/registry.ts';
import type { Problem } from '../../src/tasks/types.ts';
import { SHARED_DATA, tempDir, writeSetFile } from './helpers.ts';

const dataDir = SHARED_DATA;

function countBySubject(problems: Problem[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of problems) counts[String(p.meta?.subject)] = (counts[String(p.meta?.subject)] ?? 0) + 1;
  return counts;
}

describe('LYNX MATH train / calibration slices', () => {
  let all: Problem[];
  beforeAll(() => {
    all = loadTask('math_train', { dataDir });
  });

  it('covers all 7 subjects with 200 problems each, train and calib disjoint', () => {
    const train = selectMathSlice(all, 'train');
    const calib = selectMathSlice(all, 'calib');
    expect(train).toHaveLength(1400);
    expect(calib).toHaveLength(1400);
    const expected = Object.fromEntries(MATH_SUBJECTS.map((s) => [s, 200]));
    expect(countBySubject(train)).toEqual(expected);
    expect(countBySubject(calib)).toEqual(expected);
    const trainIds = new Set(train.map((p) => p.id));
    expect(trainIds.size).toBe(1400);
    expect(calib.filter((p) => trainIds.has(p.id))).toEqual([]);
  });

  it('is deterministic across loads and changes with the seed', () => {
    const ids = (ps: Problem[]) => ps.map((p) => p.id);
    const a = loadTask('math_train', { dataDir, slice: 'calib' });
    const b = loadTask('math_train', { dataDir, slice: 'calib' });
    expect(ids(a)).toEqual(ids(b));
    const other = new Set(ids(loadTask('math_train', { dataDir, slice: 'calib', seed: 7 })));
    // Two independent 200-of-~1000 draws per subject share roughly a fifth of their problems.
    const shared = ids(a).filter((id) => other.has(id)).length;
    expect(shared).toBeLessThan(700);
  });

  it('train and calib are the two halves of one permutation per subject (seed-matched recipe)', () => {
    // Independent re-derivation: canonical order per subject, one generator over the subjects.
    const rng = new SeededRandom(42);
    const expectedTrain: string[] = [];
    const expectedCalib: string[] = [];
    const collator = new Intl.Collator('en', { numeric: true });
    for (const subject of MATH_SUBJECTS) {
      const pool = all.filter((p) => p.meta?.subject === subject).map((p) => p.id);
      pool.sort(collator.compare);
      const perm = rng.shuffle([...pool]);
      expectedTrain.push(...perm.slice(0, 200));
      expectedCalib.push(...perm.slice(200, 400));
    }
    expect(selectMathSlice(all, 'train').map((p) => p.id)).toEqual(expectedTrain);
    expect(selectMathSlice(all, 'calib').map((p) => p.id)).toEqual(expectedCalib);
  });

  it('does not depend on the order of rows in the file', () => {
    const t = tempDir();
    try {
      const lines = readFileSync(`${SHARED_DATA}/math_train/train.jsonl`, 'utf8').split('\n').filter(Boolean);
      new SeededRandom(3).shuffle(lines);
      writeSetFile(t.dir, 'math_train', 'train.jsonl', lines);
      const shuffled = loadTask('math_train', { dataDir: t.dir, slice: 'train' }).map((p) => p.id);
      expect(shuffled).toEqual(selectMathSlice(all, 'train').map((p) => p.id));
    } finally {
      t.cleanup();
    }
  });

  it('honours perSubject and refuses slices that would overlap', () => {
    const small = loadTask('math_train', { dataDir, slice: 'train', perSubject: 10 });
    expect(small).toHaveLength(70);
    expect(() => selectMathSlice(all, 'calib', { perSubject: 400 })).toThrow(UserError);
    expect(() => selectMathSlice(all, 'calib', { perSubject: 400 })).toThrow(
      /counting_and_probability has 771 problems, fewer than the 800 needed/,
    );
    expect(() => selectMathSlice(all, 'train', { perSubject: 0 })).toThrow(/positive integer/);
    expect(selectMathSlice(all, 'all')).toBe(all);
  });
});

describe('lastBoxedContent', () => {
  it('keeps nested braces whole and takes the last box', () => {
    expect(lastBoxedContent('a $\\boxed{1}$ then $\\boxed{\\frac{1}{2}}$')).toBe('\\frac{1}{2}');
    expect(lastBoxedContent('\\boxed{\\sqrt{3}}.')).toBe('\\sqrt{3}');
    expect(lastBoxedContent('\\fbox{x^{2}}')).toBe('x^{2}');
    expect(lastBoxedContent('so \\boxed{\\{1,2\\}}')).toBe('\\{1,2\\}');
    expect(lastBoxedContent('is $\\boxed 9$.')).toBe('9');
    expect(lastBoxedContent('\\boxed{}')).toBe('');
    expect(lastBoxedContent('\\boxed{\\frac{1}{2}')).toBeUndefined();
    expect(lastBoxedContent('no answer')).toBeUndefined();
  });

  it('agrees with the answer field of every MATH train and test row (an independent extraction)', () => {
    for (const file of ['train.jsonl', 'test_full5000.jsonl']) {
      const rows = readFileSync(`${SHARED_DATA}/math_train/${file}`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { solution: string; answer: string });
      const disagree = rows.filter((r) => lastBoxedContent(r.solution) !== r.answer);
      expect(disagree).toEqual([]);
    }
  });
});

afterAll(() => {});
