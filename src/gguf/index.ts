// Public surface of the GGUF module: types, writer, reader, quantizers, metadata builders.
export * from './arch.ts';
export { ggmlByteLength, ggmlTypeLabel } from './ggmlTypes.ts';
export * from './quant.ts';
export * from './reader.ts';
export * from './tokenizer.ts';
export * from './types.ts';
export * from './writer.ts';
