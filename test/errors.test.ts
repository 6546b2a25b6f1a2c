// Library users catch errors by kind; every kind is still a UserError (one-line CLI message, exit 2).
import { describe, expect, it } from 'vitest';
import { checkFingerprint } from '../src/bundle/fingerprint.ts';
import {
  BundleMismatchError,
  checkLevel,
  DataFormatError,
  fingerprintOf,
  InvalidArgumentError,
  MondrianConformal,
  parseBundle,
  UserError,
} from '../src/index.ts';

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};

describe('typed errors', () => {
  it('a bad value is an InvalidArgumentError', () => {
    const e = caught(() => checkLevel(1.5, 'delta'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(2);
    expect(caught(() => new MondrianConformal([0.5], [2]))).toBeInstanceOf(InvalidArgumentError);
  });

  it('a malformed bundle is a DataFormatError naming the file', () => {
    const e = caught(() => parseBundle('{"format": "nope"}', 'b.lynx.json')) as UserError;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(/b\.lynx\.json/);
    expect(e.httpStatus).toBe(422);
  });

  it('a bundle for another model is a BundleMismatchError', () => {
    const a = fingerprintOf({ architecture: 'qwen2', layers: 2, hiddenSize: 8, vocab: ['a', 'b'] });
    const b = fingerprintOf({ architecture: 'qwen2', layers: 2, hiddenSize: 8, vocab: ['a', 'c'] });
    const e = caught(() => checkFingerprint(a, b));
    expect(e).toBeInstanceOf(BundleMismatchError);
    expect(e).toBeInstanceOf(UserError);
  });
});
