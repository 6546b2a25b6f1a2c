// `node bin/run-ts.mjs scripts/layer-ablation.ts [options]`: the layer ablation of issue 14 (item 6)
// on a testbed model. The reference engine (every layer's hidden state) collects train / calib / test
// events once with all layers; a probe per layer configuration (final norm, the paper's two
// intermediate layers + last, each block, all) is fitted and calibrated on the same events and
// compared on held-out problems: probe AUROC and LYNX's tokens saved at equal accuracy.
// Writes REPORT.json and REPORT.md; the events stores under --out are continued by a rerun.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { numberListOption, numberOption } from '../src/cli/options.ts';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import { ReferenceEngine } from '../src/engine/reference/ReferenceEngine.ts';
import type { Engine } from '../src/engine/types.ts';
import { UserError } from '../src/errors.ts';
import { layerAblationMarkdown } from '../src/pipeline/layerAblation/markdown.ts';
import {
  defaultLayerConfigs,
  type LayerAblationOptions,
  type LayerConfig,
  runLayerAblation,
} from '../src/pipeline/layerAblation/runLayerAblation.ts';
import { loadProblems } from '../src/pipeline/problems.ts';
import { DEFAULT_ANSWER_MAX_TOKENS } from '../src/reason/runReasoning.ts';
import { DEFAULT_SAMPLE } from '../src/reason/sampling.ts';

/** Parses "name=0,1,-1;other=-1" into layer configurations. */
function parseConfigs(value: string): LayerConfig[] {
  return value.split(';').map((part) => {
    const [name, list] = part.split('=');
    if (!name?.trim() || list === undefined)
      throw new UserError(`--configs: expected name=layers, got "${part}"`);
    return { name: name.trim(), layers: numberListOption('configs', { integer: true, min: -1 })(list) };
  });
}

const count = (name: string) => numberOption(name, { integer: true, min: 1 });
const program = new Command('layer-ablation')
  .option('--model <file>', 'testbed GGUF', 'models/testbed.gguf')
  .option('--dataset <task>', 'testbed task (its train / calib / test slices)', 'testbed-arith')
  .option('--split <name>', 'testbed split', 'heldout')
  .option(
    '--data-seed <n>',
    'problem generation seed',
    numberOption('data-seed', { integer: true, min: 0 }),
    42,
  )
  .option('--train <n>', 'problems of the training slice', count('train'), 600)
  .option('--calib <n>', 'problems of the calibration slice', count('calib'), 600)
  .option('--test <n>', 'problems of the test slice', count('test'), 600)
  .option('--samples <n>', 'rollouts per problem', count('samples'), 1)
  .option(
    '--temperature <t>',
    'rollout temperature',
    numberOption('temperature', { min: 0 }),
    DEFAULT_SAMPLE.temperature,
  )
  .option(
    '--top-p <p>',
    'rollout nucleus mass',
    numberOption('top-p', { min: 0, max: 1 }),
    DEFAULT_SAMPLE.topP,
  )
  .option('--seed <n>', 'base sampling seed', numberOption('seed', { integer: true, min: 0 }), 0)
  .option('--max-tokens <n>', 'most tokens per rollout', count('max-tokens'), 640)
  .option(
    '--exit-max-tokens <n>',
    'most tokens of a forced answer',
    count('exit-max-tokens'),
    DEFAULT_ANSWER_MAX_TOKENS,
  )
  .option(
    '--deltas <list>',
    'per-cue risk levels δ',
    numberListOption('deltas', { min: 0, max: 1, open: true }),
    [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5],
  )
  .addOption(new Option('--probe <kind>', 'probe').choices(['mlp', 'logreg']).default('mlp'))
  .option(
    '--fit-seed <n>',
    'probe fit and bootstrap seed',
    numberOption('fit-seed', { integer: true, min: 0 }),
    0,
  )
  .option('--bootstrap <n>', 'problem-level bootstrap resamples of the test AUROC', count('bootstrap'), 1000)
  .option(
    '--configs <list>',
    'layer configurations "name=0,1,-1;..." (default: final-norm, paper, each block, all)',
    parseConfigs,
  )
  .option('--context-size <n>', 'context of the engine', count('context-size'), 1024)
  .option(
    '--speed-tokens <n>',
    'tokens per engine in the decode-speed comparison with llama.cpp (0: skip)',
    numberOption('speed-tokens', { integer: true, min: 0 }),
    400,
  )
  .option('--out <dir>', 'events stores (continued by a rerun)', 'runs/layer-ablation')
  .option('--report <prefix>', 'writes PREFIX.json and PREFIX.md', 'reports/layer-ablation/testbed')
  .parse();
/** The script's options: the ablation's own, plus what picks the model, the sizes and the outputs. */
type ScriptOptions = Omit<LayerAblationOptions, 'problems' | 'configs' | 'onProgress'> &
  Record<'train' | 'calib' | 'test' | 'contextSize' | 'speedTokens', number> & {
    model: string;
    report: string;
    configs?: LayerConfig[];
  };
const { model, train, calib, test, contextSize, speedTokens, report, configs, ...ablation } =
  program.opts<ScriptOptions>();

/** Milliseconds per token of a sampled decode of `n` tokens after `prompt` (median of 3 runs). */
async function msPerToken(engine: Engine, prompt: string, n: number): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await engine.open(prompt);
    const t = performance.now();
    // No stop: a fixed number of tokens, so both engines do the same work.
    const r = await s.generate({ sample: { ...DEFAULT_SAMPLE, seed: i }, maxTokens: n });
    runs.push((performance.now() - t) / r.tokens.length);
    await s.close();
  }
  return runs.sort((a, b) => a - b)[1];
}

const engine = await ReferenceEngine.load(model, { contextSize: contextSize });
try {
  let speed: { referenceMsPerToken: number; llamaCppMsPerToken: number; tokens: number } | undefined;
  if (speedTokens > 0) {
    const llama = await LlamaCppEngine.load(model, { threads: 1, contextSize: contextSize });
    try {
      const [p] = loadProblems({
        dataset: ablation.dataset,
        split: ablation.split,
        limit: 1,
        dataSeed: ablation.dataSeed,
      });
      const prompt = engine.formatChat(p.messages);
      speed = {
        tokens: speedTokens,
        referenceMsPerToken: await msPerToken(engine, prompt, speedTokens),
        llamaCppMsPerToken: await msPerToken(llama, prompt, speedTokens),
      };
      process.stderr.write(
        `decode speed: reference ${speed.referenceMsPerToken.toFixed(3)} ms/token, llama.cpp (1 thread) ${speed.llamaCppMsPerToken.toFixed(3)} ms/token\n`,
      );
    } finally {
      await llama.dispose();
    }
  }
  const result = await runLayerAblation(engine, {
    ...ablation,
    problems: { train, calib, test },
    configs: configs ?? defaultLayerConfigs(engine.info.layers),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  mkdirSync(dirname(report), { recursive: true });
  // Quoted where a shell would split or expand, so the recorded command reruns as it is.
  const quote = (a: string) => (/^[\w.,=/:+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  const command = ['node bin/run-ts.mjs scripts/layer-ablation.ts', ...process.argv.slice(2).map(quote)].join(
    ' ',
  );
  writeFileSync(
    `${report}.json`,
    `${JSON.stringify({ command, modelPath: model, speed, ...result }, null, 2)}\n`,
  );
  const speedLine = speed
    ? `Decode speed (${speed.tokens} sampled tokens, median of 3, one core): reference engine ${speed.referenceMsPerToken.toFixed(3)} ms/token, llama.cpp ${speed.llamaCppMsPerToken.toFixed(3)} ms/token. `
    : '';
  // Collect time counts only rollouts this run added to the stores.
  const runLine = `Run: ${(result.seconds / 60).toFixed(1)} min (collect ${Object.values(result.data)
    .reduce((a, d) => a + d.collectSeconds / 60, 0)
    .toFixed(1)} min of it).`;
  writeFileSync(
    `${report}.md`,
    `${layerAblationMarkdown(result)}\n${speedLine}${runLine}\n\nCommand: \`${command}\`\n`,
  );
  process.stdout.write(layerAblationMarkdown(result));
  process.stderr.write(`wrote ${report}.json and ${report}.md (${(result.seconds / 60).toFixed(1)} min)\n`);
} finally {
  await engine.dispose();
}
