/**
 * The text half of the engine contract answered by a `ModelTokenizer`, for engines whose weights
 * run elsewhere than the tokenizer that reads them (the reference transformer, a remote SGLang
 * server): ids are made and read locally, so prompts go out as token ids, never as text.
 */
import type { ChatMessage, ModelTokenizer } from './types.ts';

/** Tokenize, detokenize, pieces, end-of-generation and chat formatting through one tokenizer. */
export abstract class TokenizerBackedEngine<T extends ModelTokenizer = ModelTokenizer> {
  protected constructor(protected readonly tokenizer: T) {}

  tokenize(text: string, opts?: { special?: boolean }): number[] {
    return this.tokenizer.tokenize(text, opts);
  }

  detokenize(tokens: number[]): string {
    return this.tokenizer.detokenize(tokens);
  }

  tokenPiece(token: number): string {
    return this.tokenizer.tokenPiece(token);
  }

  isEog(token: number): boolean {
    return this.tokenizer.isEog(token);
  }

  formatChat(messages: ChatMessage[]): string {
    return this.tokenizer.formatChat(messages);
  }

  /** The prompt's token ids: a string through the tokenizer (special tokens, BOS), ids as they are. */
  protected promptIds(prompt: number[] | string): number[] {
    return typeof prompt === 'string' ? this.tokenizer.promptTokens(prompt) : [...prompt];
  }
}
