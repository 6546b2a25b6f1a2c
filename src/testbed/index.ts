/** The testbed model's data: synthetic R1-style traces, the chat format, and the BPE tokenizer. */
export * from './chatFormat.ts';
export * from './tokenizer/index.ts';
export * from './traces/index.ts';
