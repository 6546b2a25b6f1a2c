import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The folder `lynx-exit data pull` writes to: `$LYNX_CACHE_DIR/data` when that variable is set
 * (it names lynx-exit's whole cache), else `~/.cache/lynx-exit/data`. Files lie at `<dir>/<set>/<file>`,
 * the same layout as a data dir, so the cache can be read as one.
 */
export function dataCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.LYNX_CACHE_DIR
    ? path.resolve(env.LYNX_CACHE_DIR)
    : path.join(homedir(), '.cache', 'lynx-exit');
  return path.join(root, 'data');
}

/**
 * The folders searched for data files, in order: `$LYNX_DATA_DIR` if set (then it is the only one),
 * else the pull cache. (A `--data-dir` flag bypasses both.)
 */
export function dataDirCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.LYNX_DATA_DIR) return [path.resolve(env.LYNX_DATA_DIR)];
  return [dataCacheDir(env)];
}

/** The default data dir: the first of `dataDirCandidates()`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return dataDirCandidates(env)[0];
}
