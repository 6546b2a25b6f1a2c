/** Synthetic eval rows for report tests: known cues, stops and hostile text. */
import type { EvalRow } from '../../src/pipeline/eval/row.ts';

/** Text a model could emit that would run script if the report inserted it as HTML. */
export const HOSTILE = '<img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>&amp;';

const WORDS = [
  ' so',
  ' the',
  ' answer',
  ' is',
  ' 4',
  ' wait',
  ' let',
  ' me',
  ' check',
  ' hmm',
  ' yes',
  ' Alternatively',
  ' 4',
  ' done',
];
/** Cue positions in WORDS (the token holding the cue). */
export const ROW_CUES = [5, 9, 11];

function textOf(k: number): string {
  return WORDS.slice(0, k).join('');
}
function charsThrough(k: number): number {
  return textOf(k + 1).length;
}

/** One synthetic row; `stop` = kept thinking tokens (a cue position for a cue exit). */
export function syntheticRow(o: {
  kind?: 'run' | 'labels';
  method: string;
  label: string;
  options?: Record<string, number>;
  slice?: string;
  problemId: string;
  temperature: number;
  seed: number;
  stop: number;
  correct: boolean;
  probe?: number;
  ms: number;
  p?: number[];
  labels?: boolean[];
  /** Hostile thinking text (appended after the kept thinking). */
  hostile?: boolean;
  /** The problem's gold answer (default 4); a wrong run answers 5. */
  gold?: string;
  dataset?: string;
}): EvalRow {
  const cueExit = o.stop < WORDS.length;
  const met = ROW_CUES.filter((c) => c <= o.stop);
  const thinking = textOf(o.stop);
  const answerTokens = 4;
  const thinkingTokens = cueExit ? o.stop + 1 : WORDS.length;
  const probe = o.probe ?? 0;
  return {
    v: 1,
    kind: o.kind ?? 'run',
    method: o.method,
    label: o.label,
    options: o.options ?? {},
    dataset: o.dataset ?? 'toy',
    slice: o.slice ?? 'test',
    problemId: o.problemId,
    temperature: o.temperature,
    seed: o.seed,
    sampleSeed: 99,
    correct: o.correct,
    answer: o.correct ? (o.gold ?? '4') : '5',
    gold: o.gold ?? '4',
    answerText: ' \\boxed{4}',
    thinkingText: o.hostile ? `${thinking}${HOSTILE}` : thinking,
    promptTokens: 10,
    counts: {
      thinking: thinkingTokens,
      probe,
      answer: answerTokens,
      total: thinkingTokens + probe + answerTokens,
      keptThinking: o.stop,
      exitCue: cueExit ? 5 : 0,
      freeProbe: 0,
      used: o.stop + (cueExit ? 5 : 0) + answerTokens,
      charged: o.stop + (cueExit ? 5 : 0) + answerTokens + probe,
    },
    exit: {
      reason: cueExit ? 'cue-exit' : 'natural-end',
      position: o.stop,
      char: o.hostile ? thinking.length + HOSTILE.length : thinking.length,
      ...(cueExit ? { cueEvent: met.length - 1 } : {}),
    },
    finish: 'eos',
    cueEvents: met.map((c, i) => ({
      position: c,
      char: charsThrough(c),
      cue: WORDS[c].trim().toLowerCase(),
      text: WORDS[c].trim(),
      exit: cueExit && c === o.stop,
      ...(o.p ? { p: o.p[i] } : {}),
      ...(o.labels ? { details: { correct: o.labels[i], answer: o.labels[i] ? (o.gold ?? '4') : '5' } } : {}),
    })),
    trials: 0,
    chargedTrials: 0,
    timings: { decodeMs: o.ms, scoringMs: 0, trialMs: 0, totalMs: o.ms, gradeMs: 0 },
  };
}

/** Labels of the synthetic eval's methods, in order. */
export const SYNTHETIC_METHODS = ['vanilla', 'lynx:delta=0.1', 'lynx:delta=0.2', 'lynx:delta=0.3', 'deer'];

/**
 * Rows of a small eval: 3 problems × 2 temperatures, label pass + 5 methods. By construction:
 * - lynx δ 0.2 stops later than δ 0.1 and is never more accurate: dominated; every other setting
 *   is on its family's frontier;
 * - q1's first cue (5) has a wrong forced exit, and lynx δ 0.3 exits there and is wrong: a
 *   premature exit (and an answer unlike vanilla's) at both temperatures;
 * - at T 1 vanilla is wrong on q2 where every method is right: answers unlike vanilla's, none premature.
 */
export function syntheticEval(opts: { slice?: string; dataset?: string } = {}): EvalRow[] {
  const rows: EvalRow[] = [];
  for (const temperature of [0.6, 1]) {
    for (let i = 0; i < 3; i++) {
      const base = { problemId: `q${i}`, temperature, seed: 1, gold: i === 0 ? HOSTILE : '4', ...opts };
      const hostile = i === 0;
      const labels = [i !== 1, true, true];
      rows.push(
        syntheticRow({
          ...base,
          kind: 'labels',
          method: 'labels',
          label: '@labels',
          stop: WORDS.length,
          correct: true,
          labels,
          hostile,
          ms: 30,
        }),
      );
      rows.push(
        syntheticRow({
          ...base,
          method: 'vanilla',
          label: 'vanilla',
          stop: WORDS.length,
          correct: !(temperature === 1 && i === 2),
          hostile,
          ms: 20,
        }),
      );
      for (const [delta, stop, correct, p] of [
        [0.1, 9, true, [0.3, 0.9]],
        [0.2, 11, true, [0.3, 0.6, 0.9]],
        [0.3, 5, i !== 1, [0.3]],
      ] as const) {
        rows.push(
          syntheticRow({
            ...base,
            method: 'lynx',
            label: `lynx:delta=${delta}`,
            options: { delta },
            stop,
            correct,
            p: [...p],
            ms: 8 + stop,
          }),
        );
      }
      rows.push(
        syntheticRow({ ...base, method: 'deer', label: 'deer', stop: 11, correct: true, probe: 6, ms: 15 }),
      );
    }
  }
  return rows;
}
