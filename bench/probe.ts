// Probe speed: scoring one LYNX-sized feature vector (the online cost per cue) and fitting.
import { pathToFileURL } from 'node:url';
import { MlpProbe } from '../src/probe/MlpProbe.ts';
import { Probe } from '../src/probe/Probe.ts';
import { SeededRandom } from '../src/random/SeededRandom.ts';

/** n rows of dim d, label-1 rows shifted on the first 32 dims. */
function planted(
  n: number,
  d: number,
  seed: number,
): { data: Float32Array; rows: number; cols: number; y: number[] } {
  const r = new SeededRandom(seed);
  const data = new Float32Array(n * d);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r.next() < 0.4 ? 1 : 0;
    y.push(label);
    for (let k = 0; k < d; k++) data[i * d + k] = r.normal() + (k < 32 && label ? 0.4 : 0);
  }
  return { data, rows: n, cols: d, y };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Runs the probe benchmark; set LYNX_BENCH_FULL=1 to include a full 2000×4608 MLP fit. */
export async function run(): Promise<Record<string, unknown>> {
  const d = 4608;
  const small = planted(500, d, 1);
  let t0 = performance.now();
  const probe = Probe.fit(small, small.y, { seed: 1 });
  const fitSmallMlp = seconds(t0);
  const info = (probe.classifier as MlpProbe).fitInfo!;

  const x = small.data.slice(0, d);
  for (let i = 0; i < 200; i++) probe.predictProba(x);
  const calls = 2000;
  t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < calls; i++) sink += probe.predictProba(x);
  const scoreUs = ((performance.now() - t0) / calls) * 1000;

  const big = planted(2000, d, 2);
  t0 = performance.now();
  Probe.fit(big, big.y, { kind: 'logistic' });
  const fitLogistic = seconds(t0);
  t0 = performance.now();
  const twoEpochs = new MlpProbe({ maxEpochs: 2, seed: 1 }).fit(big, big.y);
  const epochSeconds = seconds(t0) / twoEpochs.fitInfo!.epochs;

  const result: Record<string, unknown> = {
    featureDim: d,
    hidden: [256, 64],
    scoreOneVectorMeanUs: Number(scoreUs.toFixed(1)),
    fitMlp500x4608Seconds: Number(fitSmallMlp.toFixed(2)),
    fitMlp500x4608Epochs: info.epochs,
    mlpEpochSeconds2000x4608: Number(epochSeconds.toFixed(2)),
    fitLogistic2000x4608Seconds: Number(fitLogistic.toFixed(2)),
    checksum: sink > 0,
  };
  if (process.env.LYNX_BENCH_FULL === '1') {
    t0 = performance.now();
    const full = new MlpProbe({ seed: 1 }).fit(big, big.y);
    result.fitMlp2000x4608Seconds = Number(seconds(t0).toFixed(1));
    result.fitMlp2000x4608Epochs = full.fitInfo!.epochs;
  }
  console.log(
    `probe: score one ${d}-dim vector (MLP 256,64): ${scoreUs.toFixed(0)} µs; ` +
      `MLP epoch on 2000×${d}: ${epochSeconds.toFixed(2)} s; MLP fit 500×${d}: ${fitSmallMlp.toFixed(1)} s ` +
      `(${info.epochs} epochs); logistic fit 2000×${d}: ${fitLogistic.toFixed(1)} s`,
  );
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await run()));
