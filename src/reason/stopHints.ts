/**
 * Stop hints (`GenerateOptions.stopHints`): where a remote engine should end a server-side decode
 * so that it stops where the reasoning loop would. Built by scanning the vocabulary once per
 * engine; engines that decode token by token never ask for them.
 */
import { foldCase } from '../cues/lexicon.ts';
import type { Engine, StopHints } from '../engine/types.ts';
import { THINK_CLOSE } from './cueTexts.ts';

const cache = new WeakMap<Engine, Map<string, StopHints>>();

function cached(engine: Engine, key: string, build: () => StopHints): StopHints {
  let perEngine = cache.get(engine);
  if (!perEngine) {
    perEngine = new Map();
    cache.set(engine, perEngine);
  }
  let hints = perEngine.get(key);
  if (!hints) {
    hints = build();
    perEngine.set(key, hints);
  }
  return hints;
}

/** Ids of the tokens whose piece satisfies `test`. */
function tokensWhere(engine: Engine, test: (piece: string) => boolean): Set<number> {
  const ids = new Set<number>();
  for (let id = 0; id < engine.info.vocabSize; id++) if (test(engine.tokenPiece(id))) ids.add(id);
  return ids;
}

/** The spellings a case-sensitive stop string needs to catch a case-insensitive cue word in practice. */
function spellings(word: string): string[] {
  const capital = word.charAt(0).toUpperCase() + word.slice(1);
  return [...new Set([word, capital, word.toUpperCase()])];
}

/**
 * Thinking: stop after any token holding a whole cue word (any case), after text ending in a cue
 * word split over tokens (lower, Capitalised or upper case), and at `</think>`. Cues in other
 * spellings are still found by the loop; the engine then drops what it decoded past them.
 */
export function thinkingStopHints(
  engine: Engine,
  cueWords: readonly string[],
  thinkCloseId: number | undefined,
): StopHints {
  return cached(engine, `think\u0000${thinkCloseId ?? ''}\u0000${cueWords.join('\u0000')}`, () => {
    const tokens =
      cueWords.length > 0
        ? tokensWhere(engine, (piece) => {
            const folded = foldCase(piece);
            return cueWords.some((w) => folded.includes(w));
          })
        : new Set<number>();
    if (thinkCloseId !== undefined) tokens.add(thinkCloseId);
    const strings = cueWords.flatMap(spellings);
    if (thinkCloseId === undefined) strings.push(THINK_CLOSE);
    return { tokens, strings };
  });
}

/** Forced answers that stop at a closing brace: stop after any token holding a `}`. */
export function braceStopHints(engine: Engine): StopHints {
  return cached(engine, 'brace', () => ({
    tokens: tokensWhere(engine, (p) => p.includes('}')),
    strings: ['}'],
  }));
}
