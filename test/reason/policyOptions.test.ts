import { describe, expect, it } from 'vitest';
import { lynxLevelOptions } from '../../src/cli/options.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  checkMethodOptions,
  methodOptionsHelp,
  parseMethodSpecs,
} from '../../src/pipeline/eval/methodSpec.ts';
import { deerPolicy } from '../../src/reason/policies/deer.ts';
import { describeOptions, parsePolicyOptions } from '../../src/reason/policies/policyOptions.ts';
import { POLICY_NAMES, POLICY_OPTION_SCHEMAS } from '../../src/reason/policies/registry.ts';
import { parseChatRequest } from '../../src/server/chatRequest.ts';

const spec = (text: string) => parseMethodSpecs(text)[0];

describe('one option schema per policy', () => {
  it('every policy has a schema, and every option a description', () => {
    for (const name of POLICY_NAMES) {
      for (const o of describeOptions(POLICY_OPTION_SCHEMAS[name]))
        expect(o.description, `${name}.${o.name}`).not.toBe('');
    }
  });

  it('method specs are validated and defaulted by the schema', () => {
    expect(checkMethodOptions(spec('deer:threshold=0.9'))).toMatchObject({ threshold: 0.9, maxChecks: 10 });
    expect(checkMethodOptions(spec('dynasor:uncertainWords=hmm|wait'))).toMatchObject({
      uncertainWords: ['hmm', 'wait'],
    });
    expect(() => checkMethodOptions(spec('deer:threshold=2'))).toThrow(
      /method "deer:threshold=2": deer: option "threshold"/,
    );
    expect(() => checkMethodOptions(spec('deer:delta=0.1'))).toThrow(
      /unknown option "delta" \(options: threshold,/,
    );
    expect(() => checkMethodOptions(spec('deer:aggregate=max'))).toThrow(InvalidArgumentError);
    expect(() => checkMethodOptions(spec('fixed-budget'))).toThrow(/option "budget" is required/);
    expect(() => checkMethodOptions(spec('fixed-budget:budget=2.5'))).toThrow(/budget/);
  });

  it('the policy itself rejects what the spec would reject', () => {
    expect(() => deerPolicy({ threshold: 2 })).toThrow(/deer: option "threshold"/);
    expect(() => parsePolicyOptions('entropy', POLICY_OPTION_SCHEMAS.entropy, { window: 0 })).toThrow(
      /window/,
    );
  });

  it('the CLI flags and the server field use the LYNX schema', () => {
    const [delta] = lynxLevelOptions('');
    expect(delta.description).toBe(POLICY_OPTION_SCHEMAS.lynx.shape.delta.description);
    expect(delta.parseArg?.('0.2', undefined)).toBe(0.2);
    expect(() => delta.parseArg?.('1', undefined)).toThrow(/--delta/);
    const body = (lynx: unknown) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], lynx });
    expect(parseChatRequest(body({ delta: 0.2 }), 4096).exit).toEqual({ kind: 'delta', delta: 0.2 });
    expect(() => parseChatRequest(body({ delta: 1 }), 4096)).toThrow();
    expect(() => parseChatRequest(body({ beta: 0.1 }), 4096)).toThrow();
  });

  it('the eval help lists every method with its defaults', () => {
    const help = methodOptionsHelp();
    for (const name of POLICY_NAMES) expect(help).toContain(`  ${name}`);
    expect(help).toContain('threshold (default: 0.95)');
    expect(help).toContain('budget (required)');
    expect(help).toContain('after (required)');
    // Texts are shown as they are written in a spec (JSON strings), word lists as a|b|c.
    expect(help).toContain('trialSuffix (default: "\\n**Final Answer**\\n\\\\boxed")');
    expect(help).toContain('uncertainWords (default: wait|hold|but|okay|no|hmm)');
    expect(help).toContain('window (default: 25%)');
  });
});
