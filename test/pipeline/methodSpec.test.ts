// The --methods grammar: JSON-string values with any text, sweeps (lists and ranges) expanded into
// distinctly labelled settings, families, and labels that read back to the same setting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { defaultFamily, methodOptionsHelp, parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { formatValue, rangeValues } from '../../src/pipeline/eval/specGrammar.ts';
import { DEER_TRIAL_SUFFIX } from '../../src/reason/cueTexts.ts';

describe('values', () => {
  it('a JSON string holds newlines, braces, commas and colons, and stays a string', () => {
    const [deer, vanilla] = parseMethodSpecs(
      String.raw`deer:trialSuffix="\n**Final Answer**\n\\boxed",exitCue="a, b: {c}",triggers="1",vanilla`,
    );
    expect(deer.options).toEqual({ trialSuffix: DEER_TRIAL_SUFFIX, exitCue: 'a, b: {c}', triggers: '1' });
    expect(vanilla.name).toBe('vanilla');
  });

  it('bare values: booleans, numbers, word lists, shares; spaces trimmed', () => {
    const [m] = parseMethodSpecs('dynasor: uncertainWords = hmm|wait , chunk=25% ,temperature=0.6,x=true');
    expect(m.options).toEqual({ uncertainWords: 'hmm|wait', chunk: '25%', temperature: 0.6, x: true });
  });

  it('rejects what would be ambiguous, naming the place', () => {
    expect(() => parseMethodSpecs('deer:trialSuffix="\\n')).toThrow(/unterminated string/);
    expect(() => parseMethodSpecs('deer:trialSuffix="\\q"')).toThrow(/bad escape/);
    expect(() => parseMethodSpecs('deer:trialSuffix=a"b"')).toThrow(/quote the whole value/);
    expect(() => parseMethodSpecs('deer:threshold=[0.9,0.95')).toThrow(/unterminated list/);
    expect(() => parseMethodSpecs('deer:threshold=0.9]')).toThrow(/without "\["/);
    expect(() => parseMethodSpecs('deer:exitCue="x" y')).toThrow(/expected "," after a value/);
    expect(() => parseMethodSpecs('deer:threshold=[0.1..0.2]')).toThrow(/range inside a list/);
    expect(() => parseMethodSpecs('lynx:0.1')).toThrow(/key=value/);
    expect(() => parseMethodSpecs('delta=0.1')).toThrow(UserError);
  });
});

describe('sweeps', () => {
  it('a list runs each value, with one label per setting', () => {
    const specs = parseMethodSpecs('vanilla,deer:threshold=[0.8,0.9,0.95],maxChecks=5');
    expect(specs.map((s) => s.label)).toEqual([
      'vanilla',
      'deer:threshold=0.8,maxChecks=5',
      'deer:threshold=0.9,maxChecks=5',
      'deer:threshold=0.95,maxChecks=5',
    ]);
    expect(specs.slice(1).every((s) => s.family === 'deer')).toBe(true);
  });

  it('a range gives N evenly spaced values, ends included; integer ends give integers', () => {
    expect(rangeValues(0.5, 0.9, 5)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(rangeValues(32, 160, 5)).toEqual([32, 64, 96, 128, 160]);
    expect(rangeValues(0, 2, 5)).toEqual([0, 1, 2]);
    const specs = parseMethodSpecs('deer:threshold=0.5..0.99');
    expect(specs).toHaveLength(5);
    expect(specs.map((s) => s.options.threshold)).toEqual([0.5, 0.6225, 0.745, 0.8675, 0.99]);
    expect(parseMethodSpecs('position:after=32..160/3').map((s) => s.options.after)).toEqual([32, 96, 160]);
    expect(parseMethodSpecs('position:after=20%..80%/4').map((s) => s.options.after)).toEqual([
      '20%',
      '40%',
      '60%',
      '80%',
    ]);
    expect(() => parseMethodSpecs('position:after=20%..80/4')).toThrow(/% on both ends/);
    expect(() => parseMethodSpecs('deer:threshold=0.9..0.5')).toThrow(/low to high/);
    expect(() => parseMethodSpecs('deer:threshold=0.5..0.9/1')).toThrow(/at least 2/);
  });

  it('two sweeps give every combination; a label names them all; family= groups them', () => {
    const specs = parseMethodSpecs(
      'deer:threshold=[0.9,0.95],points=[wait,alternatively],label=d,family=deer-x',
    );
    expect(specs.map((s) => s.label)).toEqual([
      'd:threshold=0.9,points=wait',
      'd:threshold=0.9,points=alternatively',
      'd:threshold=0.95,points=wait',
      'd:threshold=0.95,points=alternatively',
    ]);
    expect(new Set(specs.map((s) => s.family))).toEqual(new Set(['deer-x']));
    expect(() => parseMethodSpecs('deer:label=[a,b]')).toThrow(/cannot be swept/);
    expect(() => parseMethodSpecs('deer:threshold=[0.9,0.9]')).toThrow(/listed twice/);
  });
});

describe('families and labels', () => {
  it('LYNX at δ and at α are two families; other methods are their own', () => {
    const specs = parseMethodSpecs('lynx:delta=[0.1,0.2],lynx:alpha=0.1,position:after=96');
    expect(specs.map((s) => s.family)).toEqual(['lynx δ', 'lynx δ', 'lynx α', 'position']);
    expect(defaultFamily('lynx', {})).toBe('lynx δ');
  });

  it('a label reads back to the same setting, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
        (text, other) => {
          const [spec] = parseMethodSpecs(`deer:exitCue=${JSON.stringify(text)},x=${formatValue(other)}`);
          const [again] = parseMethodSpecs(spec.label);
          expect(again.options).toEqual({ exitCue: text, x: Object.is(other, -0) ? 0 : other });
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('the help shows the syntax and every default, texts quoted', () => {
    const help = methodOptionsHelp();
    expect(help).toContain('LO..HI/N');
    expect(help).toContain('family=NAME');
  });
});
