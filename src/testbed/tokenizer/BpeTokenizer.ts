/**
 * A byte-level BPE tokenizer (GPT-2 style, qwen2 pre-tokenizer) that tokenizes exactly as llama.cpp
 * does for the GGUF it exports: specials are cut out first (longest first), the rest is split by
 * the qwen2 pre-tokenizer, each piece is merged by rank.
 *
 * Ids: 0..255 are the bytes (id = byte value), 256.. the merges in rank order, then the specials.
 */
import type { GgufTokenizer } from '../../gguf/tokenizer.ts';
import { TESTBED_CHAT_TEMPLATE } from '../chatFormat.ts';
import { BYTE_CHAR, fromByteLevel, toByteLevel } from './byteLevel.ts';
import { splitQwen2 } from './pretokenize.ts';
import { EOS_TEXT, PAD_TEXT, type SpecialToken } from './specials.ts';

/** The saved form of a tokenizer. */
export interface BpeTokenizerJson {
  format: 'lynx-exit-testbed-bpe';
  version: 1;
  pre: 'qwen2';
  /** Byte-level merges "left right", in rank order. */
  merges: string[];
  specials: SpecialToken[];
}

/** Options of encode/decode. */
export interface SpecialOptions {
  /** Parse / render control tokens (`<|im_start|>` …). User-defined ones (`<think>`) always are. Default true. */
  special?: boolean;
}

const utf8Decoder = new TextDecoder();

/** Byte-level BPE tokenizer; build it with `trainBpe` or `BpeTokenizer.fromJSON`. */
export class BpeTokenizer {
  /** Token strings as stored in GGUF: byte-level for normal tokens, raw text for specials. */
  readonly tokens: readonly string[];
  private readonly ranks: Map<string, number>;
  private readonly ids: Map<string, number>;
  private readonly specialIds: Map<string, number>;
  /** Specials in llama.cpp's matching order (longest text first). */
  private readonly specialOrder: readonly SpecialToken[];
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly merges: readonly string[],
    readonly specials: readonly SpecialToken[],
  ) {
    const tokens = [...BYTE_CHAR];
    this.ranks = new Map();
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    merges.forEach((m, rank) => {
      const parts = m.split(' ');
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`bad merge ${JSON.stringify(m)}`);
      const [a, b] = parts;
      if (!this.ids.has(a) || !this.ids.has(b))
        throw new Error(`merge ${JSON.stringify(m)} uses an unknown token`);
      if (this.ranks.has(m)) throw new Error(`duplicate merge ${JSON.stringify(m)}`);
      if (this.ids.has(a + b)) throw new Error(`merge ${JSON.stringify(m)} makes an existing token`);
      this.ranks.set(m, rank);
      this.ids.set(a + b, tokens.length);
      tokens.push(a + b);
    });
    this.specialIds = new Map();
    for (const s of specials) {
      if (this.specialIds.has(s.text)) throw new Error(`duplicate special ${s.text}`);
      this.specialIds.set(s.text, tokens.length);
      tokens.push(s.text);
    }
    this.tokens = tokens;
    this.specialOrder = [...specials].sort((x, y) => y.text.length - x.text.length);
  }

  /** Number of tokens. */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of a special token's text, or of a text that is exactly one normal token. */
  tokenId(text: string): number | undefined {
    return this.specialIds.get(text) ?? this.ids.get(toByteLevel(text));
  }

  /** Id of `<|im_end|>`, the end of a turn. */
  get eosId(): number {
    return this.specialIds.get(EOS_TEXT)!;
  }

  /** Id of `<|endoftext|>` (padding). */
  get padId(): number {
    return this.specialIds.get(PAD_TEXT)!;
  }

  /** True for a special token's id. */
  isSpecial(id: number): boolean {
    return id >= 256 + this.merges.length && id < this.tokens.length;
  }

  /** Text → token ids, exactly as llama.cpp's `tokenize(text, add_special=false, parse_special=special)`. */
  encode(text: string, opts: SpecialOptions = {}): number[] {
    const parseControl = opts.special ?? true;
    const out: number[] = [];
    for (const frag of this.splitSpecials(text, parseControl)) {
      if (typeof frag === 'number') {
        out.push(frag);
        continue;
      }
      for (const piece of splitQwen2(frag)) out.push(...this.encodePiece(piece));
    }
    return out;
  }

  /** Token ids → text. Control tokens are rendered only when `special` (default true). */
  decode(ids: readonly number[], opts: SpecialOptions = {}): string {
    const renderControl = opts.special ?? true;
    let text = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) text += utf8Decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      this.checkId(id);
      if (this.isSpecial(id)) {
        flush();
        const s = this.specials[id - 256 - this.merges.length];
        if (renderControl || s.kind === 'user') text += s.text;
      } else {
        for (const b of fromByteLevel(this.tokens[id])) bytes.push(b);
      }
    }
    flush();
    return text;
  }

  /** The text of one token (specials as written; a partial UTF-8 sequence decodes lossily). */
  piece(id: number): string {
    this.checkId(id);
    if (this.isSpecial(id)) return this.tokens[id];
    return utf8Decoder.decode(fromByteLevel(this.tokens[id]));
  }

  /** The GGUF tokenizer metadata (llama.cpp model "gpt2", pre-tokenizer "qwen2"). */
  toGguf(opts: { chatTemplate?: string } = {}): GgufTokenizer {
    const specialBase = 256 + this.merges.length;
    return {
      model: 'gpt2',
      pre: 'qwen2',
      tokens: [...this.tokens],
      tokenTypes: this.tokens.map((_, id) =>
        id < specialBase ? 1 : this.specials[id - specialBase].kind === 'control' ? 3 : 4,
      ),
      merges: [...this.merges],
      bosId: this.padId,
      eosId: this.eosId,
      padId: this.padId,
      addBos: false,
      chatTemplate: opts.chatTemplate ?? TESTBED_CHAT_TEMPLATE,
    };
  }

  /** The saved form. */
  toJSON(): BpeTokenizerJson {
    return {
      format: 'lynx-exit-testbed-bpe',
      version: 1,
      pre: 'qwen2',
      merges: [...this.merges],
      specials: this.specials.map((s) => ({ ...s })),
    };
  }

  /** Loads a saved tokenizer; throws on anything that is not one. */
  static fromJSON(json: unknown): BpeTokenizer {
    const j = json as Partial<BpeTokenizerJson> | null;
    if (j?.format !== 'lynx-exit-testbed-bpe' || j.version !== 1 || j.pre !== 'qwen2')
      throw new Error('not a lynx-exit testbed tokenizer (format/version/pre mismatch)');
    if (!Array.isArray(j.merges) || !j.merges.every((m) => typeof m === 'string'))
      throw new Error('tokenizer merges must be a list of strings');
    if (
      !Array.isArray(j.specials) ||
      !j.specials.every((s) => typeof s?.text === 'string' && (s.kind === 'control' || s.kind === 'user'))
    )
      throw new Error('tokenizer specials must be a list of {text, kind}');
    return new BpeTokenizer(j.merges, j.specials);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length)
      throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.tokens.length - 1})`);
  }

  /** Cuts specials out of the text the way llama.cpp partitions it: each special, longest first. */
  private splitSpecials(text: string, parseControl: boolean): Array<string | number> {
    let frags: Array<string | number> = [text];
    for (const s of this.specialOrder) {
      if (s.kind === 'control' && !parseControl) continue;
      const id = this.specialIds.get(s.text)!;
      const next: Array<string | number> = [];
      for (const f of frags) {
        if (typeof f === 'number') {
          next.push(f);
          continue;
        }
        const parts = f.split(s.text);
        parts.forEach((p, i) => {
          if (i > 0) next.push(id);
          if (p) next.push(p);
        });
      }
      frags = next;
    }
    return frags;
  }

  /** BPE on one pre-tokenized piece: repeatedly merge the lowest-ranked adjacent pair (leftmost first). */
  private encodePiece(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    const parts = Array.from(toByteLevel(piece));
    for (;;) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      parts.splice(best, 2, parts[best] + parts[best + 1]);
    }
    const ids = parts.map((p) => this.ids.get(p)!);
    if (this.cache.size < 100_000) this.cache.set(piece, ids);
    return ids;
  }
}
