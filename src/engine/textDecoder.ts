import type { Engine } from './types.ts';

/** Decodes tokens to text incrementally without splitting multi-byte characters. */
export class TokenTextDecoder {
  private pending: number[] = [];
  constructor(private readonly engine: Engine) {}

  /** Adds a token; returns the text that is complete so far ('' while a character is split). */
  push(token: number): string {
    this.pending.push(token);
    const text = this.engine.detokenize(this.pending);
    if (text.endsWith('\uFFFD') && this.pending.length < 4) return '';
    this.pending = [];
    return text;
  }

  /** Returns whatever is left. */
  flush(): string {
    const text = this.pending.length > 0 ? this.engine.detokenize(this.pending) : '';
    this.pending = [];
    return text;
  }

  /** Tokens not yet returned as text. */
  takePending(): number[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }
}
