/** The layer ablation's results as Markdown tables (for a report or a PR note). */
import { percent } from '../format.ts';
import type { Interval } from './bootstrap.ts';
import type { LayerAblationResult, PickedDelta } from './runLayerAblation.ts';

const pct = (x: number) => percent(x, 'n/a');
const num = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const interval = (x: Interval, signed = false) => {
  const f = (v: number) => (signed && v >= 0 ? '+' : '') + v.toFixed(3);
  return `${f(x.value)} [${f(x.ci95[0])}, ${f(x.ci95[1])}]`;
};
const picked = (p: PickedDelta | null) =>
  p === null
    ? 'none within tolerance'
    : `δ ${p.delta}: ${pct(p.test.saving)} saved, acc ${pct(p.test.accuracy)}`;

/** Renders `r` as a Markdown section: setup, probe AUROC, tokens saved at equal accuracy and per δ. */
export function layerAblationMarkdown(r: LayerAblationResult): string {
  const s = r.settings;
  const d = r.data;
  const layerName = (l: number) => (l === -1 ? 'final norm' : `block ${l}`);
  const lines = [
    `## Layer ablation: ${r.model.id} (${r.model.architecture}, ${r.model.layers} layers, d=${r.model.hiddenSize}), ${r.model.engine} engine`,
    '',
    `Data: ${s.dataset} (${s.split}, data seed ${s.dataSeed}), ${s.samples} rollout(s) per problem at T ${s.temperature}, top-p ${s.topP}, seed ${s.seed}, ≤ ${s.maxTokens} tokens, forced answers ≤ ${s.exitMaxTokens} tokens.`,
    `Problems / rollouts / cue events (label 1): train ${d.train.problems} / ${d.train.rollouts} / ${d.train.events} (${d.train.positives}), ` +
      `calib ${d.calib.problems} / ${d.calib.rollouts} / ${d.calib.events} (${d.calib.positives}), ` +
      `test ${d.test.problems} / ${d.test.rollouts} / ${d.test.events} (${d.test.positives}).`,
    `Probe: ${s.probe} (fit seed ${s.fitSeed}); conformal: Mondrian per δ on the calib events. Layer indices: block i = residual stream after block i (HF hidden_states[i+1]), final norm = the output of the last RMSNorm (what llama.cpp and SGLang expose).`,
    `Test vanilla: accuracy ${pct(r.vanilla.test.accuracy)}, ${r.vanilla.test.meanTokens.toFixed(1)} tokens per rollout. Oracle (earliest correct cue): ${pct(r.oracle.test.saving)} saved, accuracy ${pct(r.oracle.test.accuracy)}.`,
    '',
    `### Probe AUROC (test: held-out problems; 95% intervals from ${s.bootstrap} problem-level bootstrap resamples, paired against ${r.base})`,
    '',
    `| config | layers | features | val AUROC | calib AUROC | test AUROC | Δ test AUROC vs ${r.base} |`,
    '|---|---|---|---|---|---|---|',
    ...r.configs.map(
      (c) =>
        `| ${c.name} | ${c.layers.map(layerName).join(' + ')} | ${c.dim} | ${num(c.valAuroc)} | ${num(c.calibAuroc)} | ${interval(c.testAuroc)} | ${c.name === r.base ? '—' : interval(c.testAurocVsBase, true)} |`,
    ),
    '',
    `### Tokens saved at equal accuracy (within ${(100 * s.accuracyTolerance).toFixed(0)} point of vanilla, δ from {${s.deltas.join(', ')}})`,
    '',
    '"picked on calib": the δ with the largest saving whose accuracy on the calibration rollouts stays within the tolerance, reported on test (the fair pick). "best on test": the same rule applied to the test rollouts themselves (optimistic; an upper bound on what tuning could give).',
    '',
    '| config | picked on calib → test | best on test |',
    '|---|---|---|',
    ...r.configs.map((c) => `| ${c.name} | ${picked(c.pickedOnCalib)} | ${picked(c.bestOnTest)} |`),
    '',
    '### LYNX at matched δ (test: tokens saved, accuracy, premature-exit share of rollouts)',
    '',
    `| config | ${s.deltas.map((x) => `δ ${x}`).join(' | ')} |`,
    `|---|${s.deltas.map(() => '---').join('|')}|`,
    ...r.configs.map(
      (c) =>
        `| ${c.name} | ${c.perDelta
          .map((x) => `${pct(x.test.saving)}, ${pct(x.test.accuracy)}, ${pct(x.test.wrongExitRate)}`)
          .join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
