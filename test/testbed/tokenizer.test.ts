import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../src/testbed/tokenizer/BpeTokenizer.ts';
import { BYTE_CHAR, fromByteLevel, toByteLevel } from '../../src/testbed/tokenizer/byteLevel.ts';
import { splitQwen2 } from '../../src/testbed/tokenizer/pretokenize.ts';
import { CUE_TOKENS, TESTBED_SPECIALS } from '../../src/testbed/tokenizer/specials.ts';
import { trainBpe } from '../../src/testbed/tokenizer/trainBpe.ts';
import { buildCorpus } from '../../src/testbed/traces/corpus.ts';

const corpus = buildCorpus({ seed: 3, n: 600, split: 'train' });
const texts = corpus.map((it) => it.text);
const tok = trainBpe(texts, { vocabSize: 640 });

/** Reference BPE: apply every merge in rank order to the whole piece, left to right. */
function sequentialBpe(piece: string, merges: readonly string[]): string[] {
  let parts = Array.from(toByteLevel(piece));
  for (const m of merges) {
    const [a, b] = m.split(' ');
    const next: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
        next.push(a + b);
        i++;
      } else next.push(parts[i]);
    }
    parts = next;
  }
  return parts;
}

describe('byte-level alphabet', () => {
  it('gives 256 distinct characters, round-trips them, and maps printable ASCII to itself', () => {
    expect(new Set(BYTE_CHAR).size).toBe(256);
    for (let b = 0; b < 256; b++) expect(fromByteLevel(BYTE_CHAR[b])).toEqual(new Uint8Array([b]));
    expect(toByteLevel('Az{')).toBe('Az{');
    expect(toByteLevel(' \n')).toBe('\u0120\u010a');
    const mixed = 'é中🙂';
    expect(new TextDecoder().decode(fromByteLevel(toByteLevel(mixed)))).toBe(mixed);
  });
});

describe('trainBpe', () => {
  it('fills the vocabulary: 256 bytes + merges + specials', () => {
    expect(tok.vocabSize).toBe(640);
    expect(tok.merges.length).toBe(640 - 256 - TESTBED_SPECIALS.length);
  });

  it('round-trips every corpus text', () => {
    for (const t of texts) expect(tok.decode(tok.encode(t))).toBe(t);
  });

  it('makes every cue word a single token, and specials single tokens', () => {
    for (const w of CUE_TOKENS) {
      const ids = tok.encode(w);
      expect(ids, w).toHaveLength(1);
      expect(tok.piece(ids[0])).toBe(w);
    }
    for (const s of TESTBED_SPECIALS) expect(tok.encode(`a${s.text}b`)).toContain(tok.tokenId(s.text));
    // Cue words inside traces are found as those same tokens.
    const ids = tok.encode(' Wait, 3. Hmm, wait. Alternatively,');
    for (const w of [' Wait', ' Hmm', ' wait', ' Alternatively']) expect(ids).toContain(tok.tokenId(w));
  });

  it('encodes like the sequential reference BPE on every corpus piece', () => {
    const pieces = new Set<string>();
    for (const t of texts.slice(0, 200))
      for (const frag of t.split(/<\|im_start\|>|<\|im_end\|>|<\/think>|<think>/))
        for (const p of splitQwen2(frag)) pieces.add(p);
    for (const p of pieces) {
      const ids = tok.encode(p);
      expect(
        ids.map((id) => tok.tokens[id]),
        p,
      ).toEqual(sequentialBpe(p, tok.merges));
    }
  });

  it('never merges after "{", so a boxed letter is the same token in text and after a forced exit', () => {
    for (const m of tok.merges) expect(m.split(' ')[0].endsWith('{'), m).toBe(false);
    const cut = tok.encode(' Final Answer: \\boxed{');
    const full = tok.encode(' Final Answer: \\boxed{C}');
    expect(full.slice(0, cut.length)).toEqual(cut);
    expect(tok.decode(full.slice(cut.length))).toBe('C}');
  });

  it('is deterministic and survives JSON save/load', () => {
    const again = trainBpe(texts, { vocabSize: 640 });
    expect(again.merges).toEqual(tok.merges);
    const loaded = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(loaded.tokens).toEqual(tok.tokens);
    for (const t of texts.slice(0, 50)) expect(loaded.encode(t)).toEqual(tok.encode(t));
    expect(() => BpeTokenizer.fromJSON({ format: 'other' })).toThrow(/not a lynx-exit testbed tokenizer/);
  });

  it('rejects a forced word the pre-tokenizer splits, and a vocabulary too small for the forced words', () => {
    expect(() => trainBpe(texts, { forcedTokens: ['wait, '] })).toThrow(/split by the pre-tokenizer/);
    expect(() => trainBpe(texts, { vocabSize: 280 })).toThrow(/forced tokens need/);
  });

  it('renders control tokens only on request; user-defined ones always', () => {
    const ids = tok.encode('<|im_start|>assistant\n<think>\nHmm</think>');
    expect(tok.decode(ids)).toBe('<|im_start|>assistant\n<think>\nHmm</think>');
    expect(tok.decode(ids, { special: false })).toBe('assistant\n<think>\nHmm</think>');
    expect(tok.encode('<|im_end|>', { special: false }).length).toBeGreaterThan(1);
    expect(() => tok.decode([tok.vocabSize])).toThrow(RangeError);
  });
});

describe('toGguf', () => {
  const g = tok.toGguf();
  it('lists bytes in byte order, then merges in rank order, then specials with their types', () => {
    expect(g.model).toBe('gpt2');
    expect(g.pre).toBe('qwen2');
    expect(g.tokens.length).toBe(tok.vocabSize);
    expect(g.tokens.slice(0, 256).map((c) => fromByteLevel(c)[0])).toEqual(
      Array.from({ length: 256 }, (_, b) => b),
    );
    expect(g.tokens.slice(256, 256 + tok.merges.length)).toEqual(tok.merges.map((m) => m.replace(' ', '')));
    expect(g.merges).toEqual(tok.merges);
    const types = Object.fromEntries(
      TESTBED_SPECIALS.map((s) => [s.text, g.tokenTypes[tok.tokenId(s.text)!]]),
    );
    expect(types).toEqual({
      '<|endoftext|>': 3,
      '<|im_start|>': 3,
      '<|im_end|>': 3,
      '<think>': 4,
      '</think>': 4,
    });
    expect(g.tokenTypes.slice(0, tok.vocabSize - TESTBED_SPECIALS.length).every((t) => t === 1)).toBe(true);
    expect(g.eosId).toBe(tok.tokenId('<|im_end|>'));
    expect(g.padId).toBe(tok.tokenId('<|endoftext|>'));
    expect(g.addBos).toBe(false);
    expect(g.chatTemplate).toContain('<think>');
  });
});
