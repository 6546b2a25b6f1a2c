/**
 * `lynx-exit audit --model M --bundle B --dataset D --out DIR`: checks a bundle's guarantee on
 * problems it was not calibrated on. It collects full rollouts with a forced exit at every cue
 * (into DIR/events, resumable), replays the bundle's decision at each cue, and reports realized
 * against target rates with intervals, a verdict line (exit 1 when a level fails) and a calibration
 * plot. `--events E` audits an existing store instead, without loading a model.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Bundle } from '../../bundle/Bundle.ts';
import { loadBundle } from '../../bundle/io.ts';
import { UserError } from '../../errors.ts';
import { type AuditReport, auditEvents } from '../../pipeline/audit.ts';
import { readEvents } from '../../pipeline/events.ts';
import { loadBundleFor } from '../../pipeline/fingerprint.ts';
import { auditHtml, formatAuditTable, renderCalibrationSvg } from '../../pipeline/report/auditReport.ts';
import { DEFAULT_ANSWER_MAX_TOKENS, DEFAULT_MAX_TOKENS } from '../../reason/runReasoning.ts';
import { DEFAULT_SAMPLE } from '../../reason/sampling.ts';
import { isTestbedTask, type TestbedSlice } from '../../tasks/testbedTasks.ts';
import { engineOptionsOf } from '../openEngine.ts';
import {
  addEngineOptions,
  dataSeedOption,
  type EngineCommandOptions,
  exitMaxTokensOption,
  maxTokensOption,
  modelOption,
  numberOption,
  parseSlice,
} from '../options.ts';
import { runCollect } from './collect.ts';

/** Parsed options of `audit`. */
export interface AuditCommandOptions extends EngineCommandOptions {
  bundle: string;
  out: string;
  model?: string;
  dataset?: string;
  events?: string;
  split?: string;
  slice?: TestbedSlice | 'all';
  limit: number;
  dataSeed: number;
  dataDir?: string;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  exitMaxTokens?: number;
  seed: number;
  parallel: number;
  progress: boolean;
}

/** A sampling setting: the flag, else what the bundle's calibration rollouts used, else `fallback`. */
function calibrated(bundle: Bundle, key: string, flag: number | undefined, fallback: number): number {
  if (flag !== undefined) return flag;
  const collect = bundle.data.provenance.calibration.collect as Record<string, unknown> | undefined;
  const v = collect?.[key];
  return typeof v === 'number' ? v : fallback;
}

/** Collects the audit's rollouts into OUT/events (unless --events) and returns the store prefix. */
async function auditStore(o: AuditCommandOptions, bundle: Bundle, err: (t: string) => void): Promise<string> {
  if (o.events) return o.events;
  if (!o.model || !o.dataset)
    throw new UserError('audit needs --model and --dataset (or --events with an existing store)');
  const testbed = isTestbedTask(o.dataset);
  const settings = {
    temperature: calibrated(bundle, 'temperature', o.temperature, DEFAULT_SAMPLE.temperature),
    topP: calibrated(bundle, 'topP', o.topP, DEFAULT_SAMPLE.topP),
    topK: calibrated(bundle, 'topK', o.topK, DEFAULT_SAMPLE.topK),
    maxTokens: calibrated(bundle, 'maxTokens', o.maxTokens, DEFAULT_MAX_TOKENS),
    exitMaxTokens: calibrated(bundle, 'exitMaxTokens', o.exitMaxTokens, DEFAULT_ANSWER_MAX_TOKENS),
  };
  err(
    `[audit] sampling as the bundle's calibration: temperature ${settings.temperature}, top-p ${settings.topP}, top-k ${settings.topK}, max tokens ${settings.maxTokens}, exit max tokens ${settings.exitMaxTokens}\n`,
  );
  const prefix = path.join(o.out, 'events');
  await runCollect(
    {
      model: o.model,
      dataset: o.dataset,
      split: o.split ?? (testbed ? 'heldout' : undefined),
      slice: o.slice ?? (testbed ? 'test' : undefined),
      limit: o.limit,
      dataSeed: o.dataSeed,
      dataDir: o.dataDir,
      samples: 1,
      ...settings,
      seed: o.seed,
      exitCue: bundle.data.exitCue,
      layers: bundle.data.features.layers,
      syntheticNoCue: false,
      out: prefix,
      progress: o.progress,
      parallel: o.parallel,
      ...engineOptionsOf(o),
    },
    err,
    {
      check: async (engine) => {
        await loadBundleFor(o.bundle, engine);
      },
    },
  );
  return prefix;
}

/** The whole command: collect (or read), audit, write audit.json / calibration.svg / audit.html. */
export async function runAudit(
  o: AuditCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<AuditReport> {
  const bundle = await loadBundle(o.bundle);
  mkdirSync(o.out, { recursive: true });
  const store = await auditStore(o, bundle, err);
  const report = auditEvents(readEvents(store), bundle);
  const title = `LYNX audit: ${path.basename(o.bundle)} on ${o.dataset ?? store}`;
  const svg = await renderCalibrationSvg(report, title);
  writeFileSync(
    path.join(o.out, 'audit.json'),
    `${JSON.stringify({ bundle: o.bundle, events: store, ...report }, null, 2)}\n`,
  );
  writeFileSync(path.join(o.out, 'calibration.svg'), svg);
  writeFileSync(path.join(o.out, 'audit.html'), auditHtml(report, svg, title));
  out(formatAuditTable(report));
  err(`[audit] wrote ${path.join(o.out, 'audit.html')}, audit.json, calibration.svg\n`);
  if (!report.holds) throw new UserError(`${report.verdict}; see ${path.join(o.out, 'audit.html')}`, 1);
  return report;
}

/** Registers `audit`. */
export function register(program: Command): void {
  addEngineOptions(
    program
      .command('audit')
      .description(
        "check a bundle's guarantee on held-out problems: realized vs target premature-exit rates, a verdict (exit 1 on failure) and a calibration plot",
      )
      .requiredOption('-b, --bundle <file>', 'LYNX bundle (*.lynx.json)')
      .requiredOption(
        '-o, --out <dir>',
        'output folder: events store, audit.json, calibration.svg, audit.html',
      )
      .addOption(modelOption(false, ' (not needed with --events)'))
      .option('-d, --dataset <name>', 'task to audit on (testbed: held-out test slice by default)')
      .option('--events <store>', 'audit an existing events store (full rollouts from collect) instead')
      .option('--split <name>', 'split (default: the task default; testbed: heldout)')
      .option('--slice <slice>', 'math_train / testbed slice (testbed default: test)', parseSlice)
      .option(
        '--limit <n>',
        'problems (testbed: generate n)',
        numberOption('limit', { integer: true, min: 1 }),
        400,
      )
      .addOption(dataSeedOption())
      .option('--data-dir <dir>', 'folder holding <task>/<file>')
      .option(
        '-t, --temperature <t>',
        "default: the bundle's calibration",
        numberOption('temperature', { min: 0 }),
      )
      .option('--top-p <p>', "default: the bundle's calibration", numberOption('top-p', { min: 0, max: 1 }))
      .option(
        '--top-k <k>',
        "default: the bundle's calibration",
        numberOption('top-k', { integer: true, min: 0 }),
      )
      .addOption(maxTokensOption("default: the bundle's calibration", null))
      .addOption(exitMaxTokensOption("default: the bundle's calibration", null))
      .option('--seed <n>', 'base sampling seed', numberOption('seed', { integer: true, min: 0 }), 0),
    { default: 4, what: 'rollouts' },
  )
    .option('--no-progress', 'no progress output')
    .action(async (opts: AuditCommandOptions) => {
      await runAudit(
        opts,
        (t) => process.stdout.write(t),
        (t) => process.stderr.write(t),
      );
    });
}
