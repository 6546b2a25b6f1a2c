/**
 * The trace viewer's data: per problem instance, the question, the longest thinking text any run
 * kept (methods share the sampled prefix, so the others are prefixes of it), its cues with their
 * labels and probe scores, where each method stopped, and which stops were premature or disagree
 * with vanilla (what the viewer filters on).
 */
import { type EvalRow, instanceKey } from '../eval/row.ts';
import { decodedTokens } from '../eval/summary.ts';
import { isVanillaGroup } from '../eval/tuning.ts';

/** Exits before the model ended thinking by itself (NoThinking's prefilled block included). */
const EARLY = new Set(['cue-exit', 'probe-exit', 'budget', 'no-thinking']);

/** A cue in the reference text. `start`..`end`: the characters to highlight. */
export interface ViewerCue {
  position: number;
  start: number;
  end: number;
  text: string;
  /** Forced exit here correct (from the label pass), if known. */
  label?: boolean;
  /** Probe probability at this cue (from a LYNX run that met it), if any. */
  p?: number;
}

/** Where one method stopped thinking and what it answered. */
export interface ViewerStop {
  label: string;
  reason: string;
  position: number;
  char: number;
  correct: boolean;
  answer: string | null;
  tokens: number;
  /**
   * An early exit that was premature: at a cue whose forced exit was wrong, or with a wrong answer
   * where vanilla's was right.
   */
  premature: boolean;
  /** The answer differs from vanilla's on the same problem and seed. */
  disagrees: boolean;
}

/** One problem instance. */
export interface ViewerTrace {
  id: string;
  dataset: string;
  slice: string;
  problemId: string;
  temperature: number;
  seed: number;
  /** The problem as the model saw it (when the caller knows it). */
  question?: string;
  gold: string;
  text: string;
  cues: ViewerCue[];
  stops: ViewerStop[];
}

/** Where to highlight a cue that ends (with its token) at `char`: the last match of its text before there. */
function cueSpan(text: string, char: number, cueText: string): [number, number] {
  const len = cueText.length;
  const found = text.toLowerCase().lastIndexOf(cueText.toLowerCase(), Math.max(0, char - len));
  // A token holds the cue's last character plus at most a little punctuation or space after it.
  const start = found >= 0 && found >= char - len - 24 ? found : Math.max(0, char - len);
  return [start, Math.min(text.length, start + len)];
}

/** Builds viewer traces for the first `max` instances (in row order); `question` looks up a problem's text. */
export function viewerTraces(
  rows: readonly EvalRow[],
  max: number,
  question: (dataset: string, problemId: string) => string | undefined = () => undefined,
): ViewerTrace[] {
  const byInstance = new Map<string, EvalRow[]>();
  for (const r of rows) {
    const k = instanceKey(r);
    let list = byInstance.get(k);
    if (!list) {
      if (byInstance.size >= max) continue;
      byInstance.set(k, (list = []));
    }
    list.push(r);
  }
  const out: ViewerTrace[] = [];
  for (const [id, list] of byInstance) {
    const ref = list.reduce((a, b) => (b.thinkingText.length > a.thinkingText.length ? b : a));
    const labelsRow = list.find((r) => r.kind === 'labels');
    const labels = new Map<number, boolean>();
    for (const e of labelsRow?.cueEvents ?? [])
      if (typeof e.details?.correct === 'boolean') labels.set(e.position, e.details.correct);
    const ps = new Map<number, number>();
    for (const r of list)
      for (const e of r.cueEvents) if (e.p !== undefined && !ps.has(e.position)) ps.set(e.position, e.p);
    // The reference run's cues; a cue-exit run's last cue is cut from its text but was still met.
    const cueRows = labelsRow ?? ref;
    let prevEnd = 0;
    const cues: ViewerCue[] = [];
    for (const e of cueRows.cueEvents) {
      if (e.char > ref.thinkingText.length) continue;
      let [start, end] = cueSpan(ref.thinkingText, e.char, e.text);
      start = Math.max(start, prevEnd);
      end = Math.max(end, start);
      prevEnd = end;
      cues.push({
        position: e.position,
        start,
        end,
        text: e.text,
        ...(labels.has(e.position) ? { label: labels.get(e.position) } : {}),
        ...(ps.has(e.position) ? { p: ps.get(e.position) } : {}),
      });
    }
    const vanilla = list.find((r) => r.kind === 'run' && isVanillaGroup(r));
    const q = question(ref.dataset, ref.problemId);
    out.push({
      id,
      dataset: ref.dataset,
      slice: ref.slice,
      problemId: ref.problemId,
      temperature: ref.temperature,
      seed: ref.seed,
      ...(q !== undefined ? { question: q } : {}),
      gold: ref.gold,
      text: ref.thinkingText,
      cues,
      stops: list
        .filter((r) => r.kind === 'run')
        .map((r) => {
          const exitCue = r.exit.cueEvent === undefined ? undefined : r.cueEvents[r.exit.cueEvent];
          const wrongCue = exitCue !== undefined && labels.get(exitCue.position) === false;
          const worse = !r.correct && vanilla?.correct === true;
          return {
            label: r.label,
            reason: r.exit.reason,
            position: r.exit.position,
            char: Math.min(r.exit.char, ref.thinkingText.length),
            correct: r.correct,
            answer: r.answer,
            tokens: decodedTokens(r),
            premature: EARLY.has(r.exit.reason) && (wrongCue || worse),
            disagrees: vanilla !== undefined && r !== vanilla && r.answer !== vanilla.answer,
          };
        }),
    });
  }
  return out;
}
