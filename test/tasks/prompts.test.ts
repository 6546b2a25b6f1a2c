import { describe, expect, it } from 'vitest';
import { buildPrompt, MATH_INSTRUCTION } from '../../src/tasks/prompts.ts';
import { loadTask } from '../../src/tasks/registry.ts';
import { TASK_NAMES } from '../../src/tasks/types.ts';
import { SHARED_DATA } from './helpers.ts';

const dataDir = SHARED_DATA;

describe('prompts', () => {
  it('math tasks: one user message, the question then the R1 instruction on its own line', () => {
    for (const task of TASK_NAMES.filter((t) => t !== 'commonsenseqa')) {
      const [problem] = loadTask(task, { dataDir, limit: 1 });
      const messages = buildPrompt(problem);
      expect(messages).toEqual([
        {
          role: 'user',
          content: `${problem.question}\nPlease reason step by step, and put your final answer within \\boxed{}.`,
        },
      ]);
    }
    expect(MATH_INSTRUCTION).toBe('Please reason step by step, and put your final answer within \\boxed{}.');
  });

  it('CommonsenseQA: LYNX layout with lettered choices and the letter instruction', () => {
    const [problem] = loadTask('commonsenseqa', { dataDir, limit: 1 });
    expect(buildPrompt(problem)).toEqual([
      {
        role: 'user',
        content:
          'Question: A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?\n' +
          'Choices:\nA. bank\nB. library\nC. department store\nD. mall\nE. new york\n' +
          'Please think step by step, then give your final answer as \\boxed{<LETTER>} where <LETTER> is one of A,B,C,D,E.',
      },
    ]);
  });
});
