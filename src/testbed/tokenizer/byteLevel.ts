/**
 * GPT-2's byte-level alphabet: every byte gets a printable character (printable Latin-1 bytes keep
 * their own; the others map to U+0100 upwards in byte order), so BPE works on strings, not bytes.
 */

function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** BYTE_CHAR[b] = the byte-level character of byte b. */
export const BYTE_CHAR: readonly string[] = (() => {
  const out = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++)
    out[b] = isPrintable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + next++);
  return out;
})();

const CHAR_BYTE = new Map<string, number>(BYTE_CHAR.map((c, b) => [c, b]));
const utf8 = new TextEncoder();

/** Text → its byte-level string (one character per UTF-8 byte). */
export function toByteLevel(text: string): string {
  let s = '';
  for (const b of utf8.encode(text)) s += BYTE_CHAR[b];
  return s;
}

/** Byte-level string → its bytes. Throws on a character outside the alphabet. */
export function fromByteLevel(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_BYTE.get(s[i]);
    if (b === undefined) throw new Error(`not a byte-level character: ${JSON.stringify(s[i])}`);
    out[i] = b;
  }
  return out;
}
