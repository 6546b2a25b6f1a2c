// Speed of the method-core text work: cue detection per token and MATH grading per answer,
// measured within one run so the ratios hold on a shared, noisy CPU.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gradeMath } from '../src/answers/grade.ts';
import { CueDetector } from '../src/cues/index.ts';

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Tokens per second through the streaming detector, and MATH-500 grades per second (string-equal vs not). */
export async function run(): Promise<Record<string, unknown>> {
  const pieces = ' So the sum is 12. Wait, let me check that again. Hmm, alternatively we could'.split(
    /(?=\s)/,
  );
  const tokens = 200_000;
  const result: Record<string, unknown> = {};
  for (const mode of ['substring', 'word'] as const) {
    const d = new CueDetector({ mode });
    let events = 0;
    const ms = timeIt(() => {
      for (let i = 0; i < tokens; i++) events += d.push(pieces[i % pieces.length]).length;
    });
    result[`cueTokensPerSecond_${mode}`] = Math.round((tokens / ms) * 1000);
    result[`cueEvents_${mode}`] = events;
  }
  const file = `${DATA}math500/test.jsonl`;
  if (existsSync(file)) {
    const rows = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { answer: string });
    gradeMath('\\frac12', '0.5'); // engine construction and warm-up, not timed
    let accepted = 0;
    const sameMs = timeIt(() => {
      for (const r of rows) accepted += Number(gradeMath(`$\\boxed{${r.answer}}$`, r.answer));
    });
    const wrongMs = timeIt(() => {
      rows.forEach((r, i) => {
        accepted += Number(gradeMath(rows[(i + 1) % rows.length].answer, r.answer));
      });
    });
    result.acceptedTotal = accepted;
    result.math500GradesPerSecond_equal = Math.round((rows.length / sameMs) * 1000);
    result.math500GradesPerSecond_neighbourWrong = Math.round((rows.length / wrongMs) * 1000);
    result.wrongOverEqualTimeRatio = Number((wrongMs / sameMs).toFixed(2));
  }
  console.log(result);
  return result;
}
