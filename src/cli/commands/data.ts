import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { dataCacheDir, dataDirCandidates } from '../../tasks/dataDir.ts';
import { pullSet, sha256File } from '../../tasks/pull.ts';
import { TASKS, taskSpec } from '../../tasks/registry.ts';
import { DATA_SOURCES } from '../../tasks/sources.ts';
import { TESTBED_SLICES, TESTBED_TASK_NAMES } from '../../tasks/testbedTasks.ts';
import { TASK_NAMES, type TaskName } from '../../tasks/types.ts';

/** Files at least this large get a progress bar (on a terminal). */
const PROGRESS_MIN_BYTES = 1 << 20;

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Where a set's file is, searching `--data-dir` or the default folders. */
function findFile(set: TaskName, file: string, dataDir?: string): string | undefined {
  const dirs = dataDir ? [path.resolve(dataDir)] : dataDirCandidates();
  return dirs.map((d) => path.join(d, set, file)).find((p) => existsSync(p));
}

/** Whether the file matches its pinned checksum, in words. */
function checksumNote(set: TaskName, file: string, at: string): string {
  const pinned = DATA_SOURCES[set].files.find((f) => f.file === file)?.sha256;
  if (!pinned) return 'no pinned sha256';
  return sha256File(at) === pinned ? 'sha256 OK' : 'sha256 differs from the pinned one';
}

/** `data list`: every set and file, its row count and where it was found. */
function listSets(opts: { dataDir?: string }): void {
  const dirs = opts.dataDir ? [path.resolve(opts.dataDir)] : dataDirCandidates();
  out(`searching: ${dirs.join(', ')}`);
  for (const set of TASK_NAMES) {
    const spec = TASKS[set];
    out(`${set}: ${spec.description} [grading: ${spec.gradingKind}]`);
    for (const src of DATA_SOURCES[set].files) {
      const at = findFile(set, src.file, opts.dataDir);
      if (!at) {
        out(`  ${src.split.padEnd(6)} ${src.file.padEnd(28)} missing (lynx-exit data pull ${set})`);
        continue;
      }
      let rows: string;
      try {
        rows = String(countRows(set, at, src.split));
      } catch (err) {
        rows = err instanceof UserError ? `INVALID (${err.message})` : String(err);
      }
      out(`  ${src.split.padEnd(6)} ${src.file.padEnd(28)} ${rows.padStart(5)} problems  ${at}`);
    }
  }
  // The testbed tasks are generated from a seed: always there, no files.
  for (const name of TESTBED_TASK_NAMES)
    out(
      `${name}: synthetic testbed problems (${name === 'testbed' ? 'all families' : name.slice('testbed-'.length)}), generated [splits: train, heldout; slices: ${TESTBED_SLICES.join(', ')}]`,
    );
}

/** Rows of a file as its loader sees them (empty-answer rows that a loader leaves out are not counted). */
function countRows(set: TaskName, file: string, split: string): number {
  return TASKS[set].parse(file, readFileSync(file, 'utf8'), split).length;
}

/** `data check <set>`: validates every row of every file of the set that is present. */
function checkSet(name: string, opts: { dataDir?: string; file?: string }): void {
  const spec = taskSpec(name);
  const targets: Array<{ split: string; file: string; at: string | undefined }> = opts.file
    ? [{ split: spec.defaultSplit, file: path.basename(opts.file), at: path.resolve(opts.file) }]
    : DATA_SOURCES[spec.name].files.map((f) => ({
        split: f.split,
        file: f.file,
        at: findFile(spec.name, f.file, opts.dataDir),
      }));
  let checked = 0;
  for (const t of targets) {
    if (!t.at || !existsSync(t.at)) {
      out(`${spec.name}/${t.file}: missing`);
      continue;
    }
    const n = countRows(spec.name, t.at, t.split);
    out(`${spec.name}/${t.file}: ${n} problems valid (${checksumNote(spec.name, t.file, t.at)})  ${t.at}`);
    checked++;
  }
  if (checked === 0) {
    throw new UserError(`no file of ${spec.name} found; get it with \`lynx-exit data pull ${spec.name}\``);
  }
}

interface PullFlags {
  baseUrl?: string;
  cacheDir?: string;
  from?: string;
  file?: string;
  verify: boolean;
  force?: boolean;
  dataDir?: string;
  retries: string;
}

/** `data pull <set>`: download or import, with a progress bar for large files on a terminal. */
async function pull(name: string, flags: PullFlags): Promise<void> {
  const retries = Number(flags.retries);
  if (!Number.isInteger(retries) || retries < 0)
    throw new UserError(`--retries must be a whole number, got ${flags.retries}`);
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let barFile = '';
  const results = await pullSet(name, {
    baseUrl: flags.baseUrl,
    cacheDir: flags.cacheDir,
    from: flags.from,
    file: flags.file,
    verify: flags.verify,
    force: flags.force,
    localDirs: flags.dataDir ? [flags.dataDir] : undefined,
    retries,
    onProgress: (file, received, total) => {
      if (!tty || total === undefined || total < PROGRESS_MIN_BYTES) return;
      if (!bar || barFile !== file) {
        bar?.stop();
        barFile = file;
        bar = new cliProgress.SingleBar(
          { format: `${file} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.update(received);
    },
  }).finally(() => bar?.stop());
  for (const r of results) {
    const check = r.verified ? 'sha256 OK' : `sha256 ${r.sha256} (not verified)`;
    out(
      `${r.action} ${taskSpec(name).name}/${r.file}: ${r.rows} problems, ${r.bytes} bytes, ${check} -> ${r.path}`,
    );
  }
}

/** Registers `lynx-exit data list|check|pull`. */
export function register(program: Command): void {
  const data = program.command('data').description('list, validate and pull benchmark datasets');
  data
    .command('list')
    .description('show every data set, its files, row counts and where they were found')
    .option('--data-dir <dir>', 'look only in this folder (default: $LYNX_DATA_DIR, else the cache)')
    .action((opts: { dataDir?: string }) => listSets(opts));
  data
    .command('check')
    .description('validate every row of a data set and print the counts')
    .argument('<set>', `one of ${TASK_NAMES.join(', ')}`)
    .option('--data-dir <dir>', 'look only in this folder')
    .option('--file <file>', "check this JSONL file (in the set's format) instead")
    .action((set: string, opts: { dataDir?: string; file?: string }) => checkSet(set, opts));
  data
    .command('pull')
    .description(`download a data set into the cache (${dataCacheDir()}), checksummed and validated`)
    .argument('<set>', `one of ${TASK_NAMES.join(', ')}`)
    .option(
      '--base-url <url>',
      'download from a mirror serving <url>/<set>/<file> instead of the canonical URLs',
    )
    .option(
      '--cache-dir <dir>',
      'write <dir>/<set>/<file> (default: $LYNX_CACHE_DIR/data or ~/.cache/lynx-exit/data)',
    )
    .option(
      '--from <file>',
      'import this local JSONL file instead of downloading (MATH train must come this way)',
    )
    .option('--file <name>', 'only this file of the set (needed with --from when the set has several)')
    .option('--no-verify', 'skip the pinned sha256 check (every row is still validated)')
    .option(
      '--data-dir <dir>',
      'a local data dir (<dir>/<set>/<file>) to copy a verified file from before downloading (default: $LYNX_DATA_DIR)',
    )
    .option('--force', 'download again even if a verified copy is present (here or in a local data dir)')
    .option('--retries <n>', 'retries after transient network failures', '3')
    .action((set: string, flags: PullFlags) => pull(set, flags));
}
