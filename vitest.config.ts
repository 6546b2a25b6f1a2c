import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: llama.cpp tests use threads:1 and must not fight each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
