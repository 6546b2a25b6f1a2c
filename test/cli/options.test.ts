import { describe, expect, it } from 'vitest';
import { numberListOption, numberOption } from '../../src/cli/options.ts';
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
