/**
 * Tokenizer metadata for GGUF files (`tokenizer.ggml.*`) and builders for small vocabularies:
 * a GPT-2-style byte-level BPE (llama.cpp model "gpt2") and a SentencePiece-style one ("llama").
 */
import { arr, bool, type GgufMetadata, str, u32 } from './types.ts';

/** llama.cpp token types. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** A tokenizer as stored in GGUF metadata. */
export interface GgufTokenizer {
  model: 'gpt2' | 'llama';
  tokens: string[];
  tokenTypes: number[];
  scores?: number[];
  merges?: string[];
  pre?: string;
  bosId?: number;
  eosId?: number;
  padId?: number;
  unkId?: number;
  addBos: boolean;
  /** SPM only: whether llama.cpp prepends a space to text (we default to false). */
  addSpacePrefix?: boolean;
  chatTemplate?: string;
}

/** The `tokenizer.*` metadata entries for a tokenizer. */
export function tokenizerMetadata(t: GgufTokenizer): GgufMetadata {
  if (t.tokenTypes.length !== t.tokens.length) throw new Error('tokenTypes and tokens differ in length');
  if (t.scores && t.scores.length !== t.tokens.length) throw new Error('scores and tokens differ in length');
  const md: GgufMetadata = {
    'tokenizer.ggml.model': str(t.model),
    'tokenizer.ggml.tokens': arr('string', t.tokens),
    'tokenizer.ggml.token_type': arr('int32', t.tokenTypes),
  };
  if (t.pre !== undefined) md['tokenizer.ggml.pre'] = str(t.pre);
  if (t.scores) md['tokenizer.ggml.scores'] = arr('float32', t.scores);
  if (t.merges) md['tokenizer.ggml.merges'] = arr('string', t.merges);
  if (t.bosId !== undefined) md['tokenizer.ggml.bos_token_id'] = u32(t.bosId);
  if (t.eosId !== undefined) md['tokenizer.ggml.eos_token_id'] = u32(t.eosId);
  if (t.padId !== undefined) md['tokenizer.ggml.padding_token_id'] = u32(t.padId);
  if (t.unkId !== undefined) md['tokenizer.ggml.unknown_token_id'] = u32(t.unkId);
  md['tokenizer.ggml.add_bos_token'] = bool(t.addBos);
  md['tokenizer.ggml.add_eos_token'] = bool(false);
  if (t.model === 'llama') md['tokenizer.ggml.add_space_prefix'] = bool(t.addSpacePrefix ?? false);
  if (t.chatTemplate !== undefined) md['tokenizer.chat_template'] = str(t.chatTemplate);
  return md;
}

/**
 * GPT-2's bytes_to_unicode table: byte → printable character. Printable Latin-1 bytes map to
 * themselves; the rest map to U+0100 upwards in byte order. Returned in GPT-2 vocabulary order
 * (printable bytes first), as [byte, char] pairs.
 */
export function bytesToUnicodeOrder(): Array<[number, string]> {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: Array<[number, string]> = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push([b, String.fromCharCode(b)]);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push([b, String.fromCharCode(256 + n++)]);
  return out;
}

/** byte → byte-level character (index = byte value). */
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  for (const [b, c] of bytesToUnicodeOrder()) table[b] = c;
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const utf8 = new TextEncoder();

/** Text → its byte-level (GPT-2) string form. */
export function toByteLevel(text: string): string {
  let s = '';
  for (const b of utf8.encode(text)) s += BYTE_CHARS[b];
  return s;
}

/** Special tokens every builder adds, with their token types. */
export const CHATML_SPECIALS = {
  endOfText: '<|endoftext|>',
  imStart: '<|im_start|>',
  imEnd: '<|im_end|>',
  think: '<think>',
  endThink: '</think>',
} as const;

/** A ChatML template that opens a `<think>` block for the assistant and drops old thoughts. */
export const CHATML_THINK_TEMPLATE =
  "{%- for message in messages -%}{%- set content = message['content'] -%}" +
  "{%- if message['role'] == 'assistant' and '</think>' in content -%}" +
  "{%- set content = content.split('</think>')[-1] -%}{%- endif -%}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' -}}" +
  '{%- endfor -%}' +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n<think>\\n' -}}{%- endif -%}";

/** Options for the vocabulary builders. */
export interface VocabOptions {
  /** Words that must be single tokens (e.g. " wait"). */
  words: readonly string[];
  /** Extra user-defined tokens (type 4: always matched whole in text), e.g. " \\boxed{". */
  userDefined?: readonly string[];
  /** Pad the vocabulary with unused tokens up to this size. */
  padTo?: number;
  chatTemplate?: string;
}

/** A built vocabulary: the tokenizer plus the id of every word and special token. */
export interface BuiltVocab {
  tokenizer: GgufTokenizer;
  /** Text (as decoded) → token id, for words, specials and user-defined tokens. */
  ids: Map<string, number>;
}

/** Adds the padding tokens and returns the final vocabulary size. */
function pad(tokens: string[], types: number[], scores: number[] | null, padTo?: number): void {
  if (padTo === undefined) return;
  if (padTo < tokens.length)
    throw new Error(`padTo ${padTo} is smaller than the vocabulary (${tokens.length})`);
  for (let i = 0; tokens.length < padTo; i++) {
    tokens.push(`[unused_${i}]`);
    types.push(TokenType.UNUSED);
    scores?.push(0);
  }
}

/**
 * Byte-level BPE vocabulary (llama.cpp "gpt2" with the qwen2 pre-tokenizer): the 256 byte
 * characters, a merge chain per word so it becomes one token, then ChatML specials
 * (`<|im_end|>` is EOS), `<think>`/`</think>` and user-defined tokens.
 */
export function buildBpeVocab(opts: VocabOptions): BuiltVocab {
  const tokens: string[] = [];
  const types: number[] = [];
  const index = new Map<string, number>();
  const add = (t: string, type: number) => {
    if (index.has(t)) return index.get(t)!;
    index.set(t, tokens.length);
    tokens.push(t);
    types.push(type);
    return tokens.length - 1;
  };
  for (const [, c] of bytesToUnicodeOrder()) add(c, TokenType.NORMAL);

  // Words starting with a space get their merges first, so another word's merges never split them.
  const words = [...new Set(opts.words)];
  const ordered = [...words.filter((w) => w.startsWith(' ')), ...words.filter((w) => !w.startsWith(' '))];
  const merges: string[] = [];
  const ids = new Map<string, number>();
  for (const w of ordered) {
    checkPretokenizesWhole(w);
    const chars = [...toByteLevel(w)];
    let prefix = chars[0];
    for (let k = 1; k < chars.length; k++) {
      const merged = prefix + chars[k];
      if (!index.has(merged)) {
        merges.push(`${prefix} ${chars[k]}`);
        add(merged, TokenType.NORMAL);
      }
      prefix = merged;
    }
    ids.set(w, index.get(prefix)!);
  }
  const s = CHATML_SPECIALS;
  for (const t of [s.endOfText, s.imStart, s.imEnd]) ids.set(t, add(t, TokenType.CONTROL));
  for (const t of [s.think, s.endThink, ...(opts.userDefined ?? [])])
    ids.set(t, add(t, TokenType.USER_DEFINED));
  pad(tokens, types, null, opts.padTo);

  const mergeRank = new Map(merges.map((m, i) => [m, i]));
  for (const w of words) {
    const got = bpeEncodeWord(toByteLevel(w), mergeRank);
    if (got.length !== 1)
      throw new Error(`word ${JSON.stringify(w)} would not be one token (${got.join(' | ')})`);
  }
  return {
    tokenizer: {
      model: 'gpt2',
      pre: 'qwen2',
      tokens,
      tokenTypes: types,
      merges,
      bosId: ids.get(s.endOfText),
      eosId: ids.get(s.imEnd),
      padId: ids.get(s.endOfText),
      addBos: false,
      chatTemplate: opts.chatTemplate ?? CHATML_THINK_TEMPLATE,
    },
    ids,
  };
}

/** Throws unless the qwen2 pre-tokenizer keeps the word in one piece (merges never cross pieces). */
function checkPretokenizesWhole(w: string): void {
  const ok =
    /^ ?\p{L}+$/u.test(w) || /^\n+$/.test(w) || /^ ?[^\s\p{L}\p{N}]+$/u.test(w) || /^\p{N}$/u.test(w);
  if (!ok)
    throw new Error(
      `word ${JSON.stringify(w)} is split by the pre-tokenizer; use letters with an optional leading space, ` +
        'a run of punctuation, newlines, a single digit, or make it a user-defined token',
    );
}

/** Rank-ordered BPE on one pre-tokenized piece (the algorithm llama.cpp applies). */
export function bpeEncodeWord(piece: string, rank: Map<string, number>): string[] {
  const parts = [...piece];
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best] + parts[best + 1]);
  }
}

/** SentencePiece's visible space. */
export const SPM_SPACE = '\u2581';

/**
 * SentencePiece-style vocabulary (llama.cpp "llama"): `<unk>`, `<s>`, `</s>`, the 256 `<0xXX>`
 * byte tokens, "▁", ChatML specials and `<think>`/`</think>`, user-defined tokens, then each word
 * with its whole prefix chain ("▁w", "▁wa", …) so llama.cpp's bigram merging reaches it.
 * Single-byte words map to their byte token. `add_space_prefix` is off.
 */
export function buildSpmVocab(opts: VocabOptions): BuiltVocab {
  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  const index = new Map<string, number>();
  const add = (t: string, type: number, score = 0) => {
    if (index.has(t)) return index.get(t)!;
    index.set(t, tokens.length);
    tokens.push(t);
    types.push(type);
    scores.push(score);
    return tokens.length - 1;
  };
  const unk = add('<unk>', TokenType.UNKNOWN);
  const bos = add('<s>', TokenType.CONTROL);
  add('</s>', TokenType.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE);
  const ids = new Map<string, number>();
  const s = CHATML_SPECIALS;
  for (const t of [s.endOfText, s.imStart, s.imEnd]) ids.set(t, add(t, TokenType.CONTROL));
  for (const t of [s.think, s.endThink, ...(opts.userDefined ?? [])])
    ids.set(t, add(t, TokenType.USER_DEFINED));
  add(SPM_SPACE, TokenType.NORMAL, -1);
  for (const w of new Set(opts.words)) {
    const bytes = utf8.encode(w);
    if (bytes.length === 1 && w !== ' ') {
      ids.set(w, 3 + bytes[0]);
      continue;
    }
    const chars = [...w.replaceAll(' ', SPM_SPACE)];
    let prefix = chars[0];
    if (chars.length === 1) add(prefix, TokenType.NORMAL, 0);
    for (let k = 1; k < chars.length; k++) {
      prefix += chars[k];
      // Longer pieces score higher, so a chain always continues before anything else merges.
      add(prefix, TokenType.NORMAL, k);
    }
    ids.set(w, index.get(prefix)!);
  }
  pad(tokens, types, scores, opts.padTo);
  return {
    tokenizer: {
      model: 'llama',
      tokens,
      tokenTypes: types,
      scores,
      bosId: bos,
      eosId: ids.get(s.imEnd),
      unkId: unk,
      padId: unk,
      addBos: false,
      addSpacePrefix: false,
      chatTemplate: opts.chatTemplate ?? CHATML_THINK_TEMPLATE,
    },
    ids,
  };
}
