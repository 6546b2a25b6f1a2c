/**
 * Prints sample traces of every family and statistics of a corpus and its tokenizer
 * (lengths in tokens, cues, slips, where the first correct-exit cue sits).
 * Run: node bin/run-ts.mjs src/testbed/preview.ts [n=3000] [vocabSize=768]
 */
import { SeededRandom } from '../random/SeededRandom.ts';
import { trainBpe } from './tokenizer/trainBpe.ts';
import { buildCorpus, type CorpusItem } from './traces/corpus.ts';
import { generateTrace } from './traces/generateTrace.ts';
import { generateProblem } from './traces/problems.ts';
import { FAMILIES } from './traces/types.ts';

const n = Number(process.argv[2] ?? 3000);
const vocabSize = Number(process.argv[3] ?? 768);

const rng = new SeededRandom(7);
for (const family of FAMILIES) {
  for (let k = 0; k < 3; k++) {
    const p = generateProblem(family, rng);
    const t = generateTrace(p, rng);
    console.log(
      `===== ${p.id} gold=${p.gold} answer=${t.answer} slips=${t.meta.slips} caught=${t.meta.caught} cues=${t.meta.cueCount}`,
    );
    console.log(`USER: ${p.question}`);
    console.log(`ASSISTANT: ${t.text}\n`);
  }
}

const t0 = Date.now();
const train = buildCorpus({ seed: 1, n, split: 'train' });
const t1 = Date.now();
const tok = trainBpe(
  train.map((it) => it.text),
  { vocabSize },
);
const t2 = Date.now();
console.log(
  `corpus: ${n} items in ${t1 - t0} ms; tokenizer (vocab ${tok.vocabSize}, ${tok.merges.length} merges) in ${t2 - t1} ms`,
);

const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `mean ${mean.toFixed(1)}  p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${s[s.length - 1]}`;
};

function stats(label: string, items: CorpusItem[]): void {
  const convTokens: number[] = [];
  const thinkTokens: number[] = [];
  const firstCorrectRel: number[] = [];
  let cues = 0;
  let wrongCues = 0;
  let slips = 0;
  let caught = 0;
  let correct = 0;
  let steps = 0;
  for (const it of items) {
    const m = it.trace.meta;
    convTokens.push(tok.encode(it.text).length);
    const total = tok.encode(it.trace.thinking).length;
    thinkTokens.push(total);
    cues += m.cueCount;
    wrongCues += m.cues.filter((c) => !c.exitCorrect).length;
    slips += m.slips;
    caught += m.caught;
    correct += m.correct ? 1 : 0;
    steps += 1;
    const first = m.cues.find((c) => c.exitCorrect);
    if (first) firstCorrectRel.push(tok.encode(it.trace.thinking.slice(0, first.charEnd)).length / total);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`--- ${label} (${items.length} traces)`);
  console.log(`  conversation tokens: ${quantiles(convTokens)}`);
  console.log(`  thinking tokens:     ${quantiles(thinkTokens)}`);
  console.log(
    `  cues/trace ${(cues / steps).toFixed(2)}; wrong-exit cues ${((100 * wrongCues) / cues).toFixed(1)}%; ` +
      `first correct-exit cue at ${(100 * mean(firstCorrectRel)).toFixed(1)}% of thinking tokens ` +
      `(${firstCorrectRel.length} traces have one)`,
  );
  console.log(
    `  slips/trace ${(slips / steps).toFixed(2)}, caught ${((100 * caught) / Math.max(1, slips)).toFixed(1)}%, ` +
      `final answer correct ${((100 * correct) / steps).toFixed(1)}%`,
  );
}

stats('all (train)', train);
for (const f of FAMILIES)
  stats(
    f,
    train.filter((it) => it.problem.family === f),
  );
const held = buildCorpus({ seed: 1, n: 600, split: 'heldout' });
stats('held-out', held);
const overlap = held.filter((h) => train.some((t) => t.problem.canonical === h.problem.canonical)).length;
console.log(`held-out problems also in train: ${overlap}`);
