import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { checkEngineOptions } from '../../src/cli/openEngine.ts';
import {
  addEngineOptions,
  type EngineCommandOptions,
  numberListOption,
  numberOption,
} from '../../src/cli/options.ts';
import { UserError } from '../../src/errors.ts';

describe('numberOption', () => {
  it('accepts values inside closed bounds, including the bounds', () => {
    const p = numberOption('top-p', { min: 0, max: 1 });
    expect([p('0'), p('0.5'), p('1')]).toEqual([0, 0.5, 1]);
  });

  it('names the option, the bounds and the value when it rejects', () => {
    expect(() => numberOption('top-p', { min: 0, max: 1 })('2')).toThrow(
      new UserError('--top-p must be a number >= 0 and <= 1, got "2"'),
    );
    expect(() => numberOption('threads', { integer: true, min: 1 })('1.5')).toThrow(
      '--threads must be an integer >= 1, got "1.5"',
    );
    expect(() => numberOption('seed', { integer: true })('')).toThrow('--seed must be an integer, got ""');
    expect(() => numberOption('x', {})('abc')).toThrow('--x must be a number, got "abc"');
  });

  it('open bounds exclude the end points', () => {
    const d = numberOption('delta', { min: 0, max: 1, open: true });
    expect(d('0.1')).toBe(0.1);
    expect(() => d('0')).toThrow('--delta must be a number > 0 and < 1, got "0"');
    expect(() => d('1')).toThrow('--delta must be a number > 0 and < 1, got "1"');
  });
});

describe('numberListOption', () => {
  it('parses a comma-separated list with spaces', () => {
    expect(numberListOption('layers', { integer: true, min: -1 })('9, 16,-1')).toEqual([9, 16, -1]);
  });

  it('rejects empty items and out-of-range items, naming the item', () => {
    const p = numberListOption('layers', { integer: true, min: -1 });
    expect(() => p('1,,2')).toThrow('--layers must be a comma-separated list of numbers, got "1,,2"');
    expect(() => p('1,-2')).toThrow('--layers: "-2" in "1,-2" is not an integer in range');
  });
});

describe('engine options', () => {
  const parse = (...args: string[]) => {
    const cmd = addEngineOptions(new Command('x').exitOverride(), { default: 1, what: 'runs' });
    cmd.parse(args, { from: 'user' });
    return cmd.opts() as EngineCommandOptions;
  };

  it('default to the in-process engine with no SGLang settings', () => {
    const o = parse();
    expect(o.engine).toBe('llamacpp');
    expect([o.url, o.sglangHidden, o.sglangTimeout, o.sglangApiKey]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(() => checkEngineOptions(o)).not.toThrow();
  });

  it('parse the SGLang flags', () => {
    const o = parse(
      '--engine',
      'sglang',
      '--url',
      'http://10.0.0.1:30000',
      '--sglang-hidden',
      'last',
      '--sglang-timeout',
      '30',
      '--parallel',
      '16',
    );
    expect(o).toMatchObject({
      engine: 'sglang',
      url: 'http://10.0.0.1:30000',
      sglangHidden: 'last',
      sglangTimeout: 30,
      parallel: 16,
    });
    expect(() => checkEngineOptions(o)).not.toThrow();
    expect(() => parse('--engine', 'vllm')).toThrow(
      /--engine must be llamacpp or sglang.*vLLM does not return/,
    );
    expect(() => parse('--sglang-hidden', 'all')).toThrow('--sglang-hidden must be full or last, got "all"');
  });

  it('refuse flags that do not fit the engine, saying what to change', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--engine', 'sglang'], /--engine sglang needs --url http:\/\/HOST:PORT/],
      [['--url', 'http://h:1'], /--url is for an SGLang server: add --engine sglang, or drop --url/],
      [['--sglang-hidden', 'last'], /--sglang-hidden is for an SGLang server: add --engine sglang --url/],
      [['--sglang-api-key', 'k'], /--sglang-api-key is for an SGLang server/],
      [
        ['--engine', 'sglang', '--url', 'http://h:1', '--threads', '2'],
        /--threads sets the in-process engine/,
      ],
      [['--engine', 'sglang', '--url', 'http://h:1', '--gpu', 'off'], /--gpu sets the in-process engine/],
    ];
    for (const [args, message] of cases)
      expect(() => checkEngineOptions(parse(...args)), args.join(' ')).toThrow(message);
  });
});
