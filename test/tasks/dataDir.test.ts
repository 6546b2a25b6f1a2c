import { homedir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataCacheDir, dataDirCandidates, defaultDataDir } from '../../src/tasks/dataDir.ts';
import { loadTask } from '../../src/tasks/registry.ts';
import { SHARED_DATA, tempDir } from './helpers.ts';

describe('data dir resolution', () => {
  const saved = process.env.LYNX_DATA_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.LYNX_DATA_DIR;
    else process.env.LYNX_DATA_DIR = saved;
  });

  it('$LYNX_DATA_DIR wins alone; else the cache (never a folder beside the package)', () => {
    expect(dataDirCandidates({ LYNX_DATA_DIR: '/x/data' })).toEqual(['/x/data']);
    expect(dataDirCandidates({ LYNX_CACHE_DIR: '/c' })).toEqual(['/c/data']);
    expect(defaultDataDir({ LYNX_CACHE_DIR: '/c' })).toBe('/c/data');
  });

  it('the cache is $LYNX_CACHE_DIR/data, else ~/.cache/lynx-exit/data', () => {
    expect(dataCacheDir({ LYNX_CACHE_DIR: '/c' })).toBe(path.resolve('/c/data'));
    expect(dataCacheDir({})).toBe(path.join(homedir(), '.cache', 'lynx-exit', 'data'));
  });

  it('loadTask without dataDir follows $LYNX_DATA_DIR', () => {
    const t = tempDir();
    try {
      process.env.LYNX_DATA_DIR = t.dir;
      expect(() => loadTask('amc23')).toThrow(`${t.dir}/amc23/test.jsonl`);
      process.env.LYNX_DATA_DIR = SHARED_DATA;
      expect(loadTask('amc23')).toHaveLength(40);
    } finally {
      t.cleanup();
    }
  });
});
