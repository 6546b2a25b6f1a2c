/**
 * The text grammar of eval's `--methods` list, read by one scanner so that option values may hold
 * any text (prompt texts hold `\n`, `{`, `,`, `:`):
 *
 *   methods := method ("," method)*
 *   method  := name [":" option] ("," option)*        an item `key=…` after a comma continues the method
 *   option  := key "=" value
 *   value   := scalar | "[" scalar ("," scalar)* "]" | LO ".." HI ["/" N]
 *   scalar  := "JSON string" | bare
 *
 * A JSON string (`"\n**Final Answer**\n\\boxed"`) is always a string, with JSON's escapes. A bare
 * value runs to the next `,` (or `]` in a list), trimmed, and may not hold `"`, `[` or `]`; `true`
 * and `false` are booleans, a number is a number, anything else a string (`hmm|wait` is a word
 * list, `50%` a share of the reference thinking length). `[a,b,c]` and `LO..HI/N` are sweeps: the
 * method is run once per value (a range gives N evenly spaced values, ends included, default 5;
 * `20%..80%/4` a range of shares).
 */
import { UserError } from '../../errors.ts';

/** A value a method option can take on the command line. */
export type OptionValue = number | string | boolean;

/** An option's value as written: one value, or a sweep over several. */
export type RawValue = { kind: 'one'; value: OptionValue } | { kind: 'sweep'; values: OptionValue[] };

/** One method as written, before sweeps are expanded. */
export interface RawMethod {
  name: string;
  options: Array<[key: string, value: RawValue]>;
}

/** Values of a range when `/N` is not given. */
export const DEFAULT_RANGE_STEPS = 5;

const KEY = /^\s*([A-Za-z_][\w-]*)\s*=/;
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const RANGE = new RegExp(String.raw`^(${NUMBER})(%?)\.\.(${NUMBER})(%?)(?:/(\d+))?$`);

/** Reads a bare value: `true`/`false`, a number, or the text itself. */
export function bareValue(text: string): OptionValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

/** `n` evenly spaced values from `lo` to `hi` (ends included); integer ends give distinct integers. */
export function rangeValues(lo: number, hi: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 2)
    throw new UserError(`--methods: a range needs at least 2 values, got /${n}`);
  if (!(hi > lo)) throw new UserError(`--methods: a range runs from low to high, got ${lo}..${hi}`);
  const ints = Number.isInteger(lo) && Number.isInteger(hi);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = lo + ((hi - lo) * i) / (n - 1);
    // 12 significant digits drop float noise (0.7450000000000001) from values and labels.
    const v = ints ? Math.round(x) : Number(x.toPrecision(12));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipSpaces(): void {
    while (/\s/.test(this.peek())) this.pos++;
  }
  fail(what: string): never {
    const at = this.text.slice(this.pos, this.pos + 24);
    throw new UserError(`--methods: ${what} at character ${this.pos + 1}${at ? ` ("${at}")` : ''}`);
  }
  /** Text up to (not including) the first of `stops` or the end. */
  until(stops: string): string {
    const start = this.pos;
    while (!this.done && !stops.includes(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
  /** True if an option `key=` starts here (after a comma). */
  atOption(): boolean {
    return KEY.test(this.text.slice(this.pos));
  }

  jsonString(): string {
    const start = this.pos;
    this.pos++;
    while (!this.done && this.peek() !== '"') this.pos += this.peek() === '\\' ? 2 : 1;
    if (this.done) {
      this.pos = start;
      this.fail('unterminated string');
    }
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('bad escape in a string (JSON escapes: \\n \\t \\" \\\\ \\uXXXX)');
    }
  }

  /** One scalar; `stops` end a bare value. A bare text that is a range is returned as one. */
  scalar(stops: string): RawValue {
    this.skipSpaces();
    if (this.peek() === '"') {
      const value = this.jsonString();
      this.skipSpaces();
      return { kind: 'one', value };
    }
    const text = this.until(`${stops}"[]`).trim();
    if (this.peek() === '"' || this.peek() === '[')
      this.fail(`"${this.peek()}" inside a bare value (quote the whole value as a JSON string)`);
    const range = RANGE.exec(text);
    if (range) {
      const [, lo, loShare, hi, hiShare, steps] = range;
      if (loShare !== hiShare) this.fail('a range of shares has % on both ends (20%..80%/4)');
      const values = rangeValues(
        Number(lo),
        Number(hi),
        steps === undefined ? DEFAULT_RANGE_STEPS : Number(steps),
      );
      return { kind: 'sweep', values: loShare ? values.map((v) => `${v}%`) : values };
    }
    return { kind: 'one', value: bareValue(text) };
  }

  value(): RawValue {
    this.skipSpaces();
    if (this.peek() !== '[') {
      const v = this.scalar(',');
      if (this.peek() === ']') this.fail('"]" without "["');
      return v;
    }
    this.pos++;
    const values: OptionValue[] = [];
    for (;;) {
      const v = this.scalar(',]');
      if (v.kind === 'sweep') this.fail('a range inside a list');
      values.push(v.value);
      if (this.peek() === ',') this.pos++;
      else if (this.peek() === ']') break;
      else this.fail('unterminated list');
    }
    this.pos++;
    this.skipSpaces();
    if (values.length === 0) this.fail('empty list');
    return { kind: 'sweep', values };
  }

  option(): [string, RawValue] {
    const m = KEY.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected key=value');
    this.pos += m[0].length;
    const value = this.value();
    if (!this.done && this.peek() !== ',') this.fail('expected "," after a value');
    return [m[1], value];
  }
}

/** Splits a `--methods` list into methods and their raw option values (see the module comment). */
export function scanMethods(text: string): RawMethod[] {
  const s: Scanner = new Scanner(text);
  const out: RawMethod[] = [];
  for (;;) {
    s.skipSpaces();
    if (s.done) break;
    if (s.peek() === ',') {
      s.pos++;
      continue;
    }
    if (s.atOption()) {
      const last = out.at(-1);
      if (!last) s.fail('an option with no method before it (write name:key=value)');
      last.options.push(s.option());
    } else {
      const name = s.until(':,').trim();
      if (name === '') s.fail('expected a method name');
      const method: RawMethod = { name, options: [] };
      out.push(method);
      if (s.peek() === ':') {
        s.pos++;
        if (!s.atOption()) s.fail(`expected key=value after "${name}:"`);
        method.options.push(s.option());
      }
    }
  }
  if (out.length === 0) throw new UserError(`--methods: no method given in "${text}"`);
  return out;
}

/** A value as written in a label: bare when it reads back the same, else a JSON string. */
export function formatValue(v: OptionValue): string {
  if (typeof v !== 'string') return String(v);
  const bareOk =
    v !== '' &&
    v === v.trim() &&
    !/[,[\]"\p{Cc}]/u.test(v) &&
    typeof bareValue(v) === 'string' &&
    !RANGE.test(v);
  return bareOk ? v : JSON.stringify(v);
}
