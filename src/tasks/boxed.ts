/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`) in `text`, with nested braces kept whole,
 * or undefined if there is none or its braces never close. The brace-less form `\boxed 9` gives the
 * word after it (up to a space or `$`). Used for MATH rows that carry only a worked solution (the
 * hendrycks release layout has no answer field).
 */
export function lastBoxedContent(text: string): string | undefined {
  const boxed = text.lastIndexOf('\\boxed');
  const fbox = text.lastIndexOf('\\fbox');
  const start = Math.max(boxed, fbox);
  if (start < 0) return undefined;
  let i = start + (start === boxed ? '\\boxed'.length : '\\fbox'.length);
  if (text[i] === ' ') {
    const word = /^ +([^\s$]+)/.exec(text.slice(i));
    return word?.[1];
  }
  if (text[i] !== '{') return undefined;
  const open = i;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // an escaped brace such as \{ does not count
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}
