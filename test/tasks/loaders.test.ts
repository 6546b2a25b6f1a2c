import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadTask } from '../../src/tasks/registry.ts';
import { GRADING_KIND, TASK_NAMES, type TaskName } from '../../src/tasks/types.ts';
import { SHARED_DATA, tempDir, writeSetFile } from './helpers.ts';

const dataDir = SHARED_DATA;

describe('loaders on the canonical files', () => {
  it.each([
    ['gsm8k', 'test', 1319],
    ['gsm8k', 'train', 7473],
    ['math500', 'test', 500],
    ['aime24', 'test', 30],
    ['aime25', 'test', 30],
    ['amc23', 'test', 40],
    ['commonsenseqa', 'dev', 1221],
  ] as const)('%s %s has %i problems with unique ids and non-empty golds', (task, split, rows) => {
    const problems = loadTask(task, { dataDir, split });
    expect(problems).toHaveLength(rows);
    expect(new Set(problems.map((p) => p.id)).size).toBe(rows);
    for (const p of problems) {
      expect(p.task).toBe(task);
      expect(p.question.length).toBeGreaterThan(0);
      expect(p.gold.trim().length).toBeGreaterThan(0);
    }
  });

  it('MATH train keeps every row except the two with an empty \\boxed{}', () => {
    const problems = loadTask('math_train', { dataDir });
    expect(problems).toHaveLength(7498);
    const ids = new Set(problems.map((p) => p.id));
    expect(ids.has('train/number_theory/7115.json')).toBe(false);
    expect(ids.has('train/number_theory/7117.json')).toBe(false);
    expect(problems.find((p) => p.id === 'train/algebra/0.json')).toMatchObject({
      gold: '0',
      meta: { subject: 'algebra', level: 5 },
    });
  });

  it('GSM8K gold is the number after ####, commas stripped', () => {
    const problems = loadTask('gsm8k', { dataDir });
    expect(problems[0]).toMatchObject({ id: 'test/0', gold: '18' });
    expect(problems[0].question).toMatch(/^Janet’s ducks lay 16 eggs/);
    expect(problems[146].gold).toBe('2125');
    expect(problems[611].gold).toBe('1450000');
    for (const p of problems) expect(p.gold).toMatch(/^-?\d+(\.\d+)?$/);
  });

  it('MATH-500 gold is the answer field and keeps subject and level', () => {
    const [first] = loadTask('math500', { dataDir });
    expect(first).toMatchObject({
      id: 'test/precalculus/807.json',
      gold: '\\left( 3, \\frac{\\pi}{2} \\right)',
      meta: { subject: 'Precalculus', level: 2 },
    });
  });

  it('AIME golds are plain integers: zero-padded 2024 strings and 2025 ints alike', () => {
    const a24 = loadTask('aime24', { dataDir });
    expect(a24.find((p) => p.id === '67')).toMatchObject({ gold: '25', meta: { rawAnswer: '025' } });
    expect(a24[0]).toMatchObject({ id: '60', gold: '204' });
    const a25 = loadTask('aime25', { dataDir });
    expect(a25[0]).toMatchObject({ id: '0', gold: '70', meta: { rawAnswer: 70 } });
    for (const p of [...a24, ...a25]) {
      expect(p.gold).toMatch(/^\d{1,3}$/);
      expect(p.gold === '0' || !p.gold.startsWith('0')).toBe(true);
    }
  });

  it('AMC 2023 golds are written without a trailing .0, negatives kept', () => {
    const amc = loadTask('amc23', { dataDir });
    expect(amc[0]).toMatchObject({ id: '0', gold: '27' });
    expect(amc.find((p) => p.id === '17')?.gold).toBe('-1');
    expect(amc.find((p) => p.id === '3')?.gold).toBe('3159');
  });

  it('CommonsenseQA: the official and the Hugging Face layouts load to the same problems', () => {
    const official = loadTask('commonsenseqa', { dataDir });
    const hf = loadTask('commonsenseqa', {
      file: `${SHARED_DATA}/commonsenseqa/validation_hf_format.jsonl`,
      split: 'validation',
    });
    expect(hf).toEqual(official);
    expect(official[0]).toMatchObject({
      id: '1afa02df02c908a558b4036e80242fac',
      gold: 'A',
      choices: [
        { label: 'A', text: 'bank' },
        { label: 'B', text: 'library' },
        { label: 'C', text: 'department store' },
        { label: 'D', text: 'mall' },
        { label: 'E', text: 'new york' },
      ],
      meta: { concept: 'revolving door' },
    });
    for (const p of official) expect(p.choices?.map((c) => c.label)).toContain(p.gold);
  });

  it('limit keeps the first problems', () => {
    const all = loadTask('gsm8k', { dataDir });
    expect(loadTask('gsm8k', { dataDir, limit: 5 })).toEqual(all.slice(0, 5));
  });

  it('declares a grading kind for every task', () => {
    const kinds: Record<TaskName, string> = { ...GRADING_KIND };
    expect(Object.keys(kinds).sort()).toEqual([...TASK_NAMES].sort());
    expect(kinds.commonsenseqa).toBe('mcq');
    expect(kinds.aime24).toBe('aime');
    expect(kinds.gsm8k).toBe('gsm8k');
  });
});

describe('loader errors', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  /** The UserError message `fn` throws. */
  function userErrorOf(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    throw new Error('expected a UserError');
  }

  const good = JSON.stringify({ question: 'What is 1+1?', answer: 'One plus one.\n#### 2' });

  it('skips empty lines and counts lines 1-based in errors', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = writeSetFile(t.dir, 'gsm8k', 'test.jsonl', [
      good,
      '',
      '   ',
      good,
      JSON.stringify({ question: 'q' }),
    ]);
    const msg = userErrorOf(() => loadTask('gsm8k', { dataDir: t.dir }));
    expect(msg).toContain(`${file}:5:`);
    expect(msg).toMatch(/field "answer"/);
  });

  it('names the file and line of a row that is not JSON', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = writeSetFile(t.dir, 'math500', 'test.jsonl', ['{"problem": "x",']);
    expect(userErrorOf(() => loadTask('math500', { dataDir: t.dir }))).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1: not valid JSON`),
    );
  });

  it('rejects a GSM8K answer without ####, an AIME answer out of range, an AMC string answer', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    writeSetFile(t.dir, 'gsm8k', 'test.jsonl', [
      good,
      JSON.stringify({ question: 'q', answer: 'no marker' }),
    ]);
    expect(userErrorOf(() => loadTask('gsm8k', { dataDir: t.dir }))).toMatch(/test\.jsonl:2: .*"####"/);
    writeSetFile(t.dir, 'aime24', 'test.jsonl', [JSON.stringify({ id: 1, problem: 'p', answer: '1000' })]);
    expect(userErrorOf(() => loadTask('aime24', { dataDir: t.dir }))).toMatch(
      /test\.jsonl:1: .*integer 0-999/,
    );
    writeSetFile(t.dir, 'amc23', 'test.jsonl', [JSON.stringify({ id: 1, problem: 'p', answer: '27' })]);
    expect(userErrorOf(() => loadTask('amc23', { dataDir: t.dir }))).toMatch(/test\.jsonl:1: field "answer"/);
  });

  it('rejects a CSQA answer key that is not among the choices, in either layout', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const choices = ['A', 'B'].map((label) => ({ label, text: `t${label}` }));
    writeSetFile(t.dir, 'commonsenseqa', 'dev_rand_split.jsonl', [
      JSON.stringify({ answerKey: 'A', id: 'x', question: { stem: 's', choices } }),
      JSON.stringify({ answerKey: 'C', id: 'y', question: { stem: 's', choices } }),
    ]);
    expect(userErrorOf(() => loadTask('commonsenseqa', { dataDir: t.dir }))).toMatch(
      /dev_rand_split\.jsonl:2: field "answerKey": "C" is not one of the choices A,B/,
    );
    const hf = writeSetFile(t.dir, 'x', 'hf.jsonl', [
      JSON.stringify({ id: 'y', question: 's', choices: { label: ['A', 'B'], text: ['a'] }, answerKey: 'A' }),
    ]);
    expect(userErrorOf(() => loadTask('commonsenseqa', { file: hf }))).toMatch(
      /hf\.jsonl:1: .*2 labels but 1 texts/,
    );
  });

  it('rejects a MATH train row with an unknown subject or no answer at all, even beyond limit', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const row = { problem: 'p', level: 'Level 1', type: 'Algebra', solution: 'so $\\boxed{\\frac{1}{2}}$.' };
    const file = writeSetFile(t.dir, 'math_train', 'train.jsonl', [
      JSON.stringify(row),
      JSON.stringify({ ...row, type: 'Topology' }),
    ]);
    expect(userErrorOf(() => loadTask('math_train', { file, limit: 1 }))).toMatch(
      /train\.jsonl:2: .*unknown MATH subject "Topology"/,
    );
    writeSetFile(t.dir, 'math_train', 'train.jsonl', [JSON.stringify({ ...row, solution: 'no box' })]);
    expect(userErrorOf(() => loadTask('math_train', { dataDir: t.dir }))).toMatch(
      /train\.jsonl:1: no "answer" field/,
    );
  });

  it('derives the MATH gold from the last \\boxed{} when there is no answer field', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = writeSetFile(t.dir, 'math_train', 'train.jsonl', [
      JSON.stringify({
        problem: 'p',
        level: 'Level 1',
        type: 'Algebra',
        solution: '$\\boxed{1}$ so $\\boxed{\\frac{1}{2}}$.',
      }),
    ]);
    expect(loadTask('math_train', { file })[0]).toMatchObject({ id: 'line/1', gold: '\\frac{1}{2}' });
  });

  it('a missing file says where it looked and how to pull the set', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const msg = userErrorOf(() => loadTask('aime25', { dataDir: t.dir }));
    expect(msg).toContain(`${t.dir}/aime25/test.jsonl`);
    expect(msg).toContain('lynx-exit data pull aime25');
  });

  it('unknown tasks, splits and misplaced slices are user errors', () => {
    expect(userErrorOf(() => loadTask('mmlu', { dataDir }))).toMatch(
      /unknown task "mmlu"; known tasks: gsm8k/,
    );
    expect(userErrorOf(() => loadTask('gsm8k', { dataDir, split: 'dev' }))).toMatch(
      /no split "dev"; splits: test, train/,
    );
    expect(userErrorOf(() => loadTask('gsm8k', { dataDir, slice: 'calib' }))).toMatch(/only to math_train/);
  });
});
