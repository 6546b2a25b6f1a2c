/**
 * Brace bookkeeping for answers that open `\boxed{`: when the box closes (to stop trial answers
 * there) and what it holds (Dynasor's answer extraction).
 */

/** Net `{` minus `}` in `text`, ignoring escaped braces (`\{`, `\}`). */
export function braceBalance(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
  }
  return depth;
}

/**
 * Follows braces across streamed pieces and reports when the group that was open at the start
 * (or the first group opened later) closes. With the cue `…\boxed{` the start depth is 1; with
 * DEER's `…\boxed` it is 0 and the model opens the group itself.
 */
export class BraceTracker {
  private depth: number;
  private opened: boolean;
  private escaped = false;

  constructor(startText: string) {
    this.depth = Math.max(0, braceBalance(startText));
    this.opened = this.depth > 0;
    this.escaped = endsWithOddBackslashes(startText);
  }

  /** Feeds a piece; true once the tracked group is closed. */
  push(piece: string): boolean {
    for (const c of piece) {
      if (this.escaped) {
        this.escaped = false;
        continue;
      }
      if (c === '\\') this.escaped = true;
      else if (c === '{') {
        this.depth++;
        this.opened = true;
      } else if (c === '}' && this.opened) {
        this.depth--;
        if (this.depth <= 0) return true;
      }
    }
    return false;
  }
}

function endsWithOddBackslashes(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/**
 * The text before the first `}` that closes a group left open (Dynasor's `obtain_answer`: the
 * probe already opened `\boxed{`), or '' when no such `}` comes.
 */
export function textBeforeUnmatchedClose(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return text.slice(0, i);
      depth--;
    }
  }
  return '';
}
