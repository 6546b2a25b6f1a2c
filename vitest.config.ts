import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The benchmark data the tests read: ../shared/data beside the checkout, named here, not a library default.
    env: { LYNX_DATA_DIR: process.env.LYNX_DATA_DIR ?? path.resolve(import.meta.dirname, '../shared/data') },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: llama.cpp tests use threads:1 and must not fight each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
