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
  problemId: string;
  temperature: number;
  seed: number;
  stop: number;
  correct: boolean;
  probe?: number;
  ms: number;
  p?: number[];
  labels?: boolean[];
  hostile?: boolean;
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
    dataset: 'toy',
    problemId: o.problemId,
    temperature: o.temperature,
    seed: o.seed,
    sampleSeed: 99,
    correct: o.correct,
    answer: o.hostile ? HOSTILE : '4',
    gold: o.hostile ? HOSTILE : '4',
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
    },
    finish: 'eos',
    cueEvents: met.map((c, i) => ({
      position: c,
      char: charsThrough(c),
      cue: WORDS[c].trim().toLowerCase(),
      text: WORDS[c].trim(),
      exit: cueExit && c === o.stop,
      ...(o.p ? { p: o.p[i] } : {}),
      ...(o.labels ? { details: { correct: o.labels[i], answer: o.hostile ? HOSTILE : '4' } } : {}),
    })),
    trials: 0,
    chargedTrials: 0,
    timings: { decodeMs: o.ms, scoringMs: 0, trialMs: 0, totalMs: o.ms, gradeMs: 0 },
  };
}

/** Rows of a small eval: 3 problems × 2 temperatures, label pass + 4 methods. */
export function syntheticEval(): EvalRow[] {
  const rows: EvalRow[] = [];
  for (const temperature of [0.6, 1]) {
    for (let i = 0; i < 3; i++) {
      const base = { problemId: `q${i}`, temperature, seed: 1 };
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
          correct: true,
          hostile,
          ms: 20,
        }),
      );
      rows.push(
        syntheticRow({
          ...base,
          method: 'lynx',
          label: 'lynx:delta=0.1',
          options: { delta: 0.1 },
          stop: 9,
          correct: true,
          p: [0.3, 0.9],
          hostile: false,
          ms: 12,
        }),
      );
      rows.push(
        syntheticRow({
          ...base,
          method: 'lynx',
          label: 'lynx:delta=0.3',
          options: { delta: 0.3 },
          stop: 5,
          correct: i !== 1,
          p: [0.3],
          ms: 8,
        }),
      );
      rows.push(
        syntheticRow({ ...base, method: 'deer', label: 'deer', stop: 11, correct: true, probe: 6, ms: 15 }),
      );
    }
  }
  return rows;
}
