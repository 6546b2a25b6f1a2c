#!/usr/bin/env node
// The lynx-exit CLI. In a git checkout it runs the TypeScript sources through tsx, so an edit needs
// no rebuild; an installed package runs its compiled `dist/`.
import { existsSync } from 'node:fs';

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));
if (fromSource) (await import('tsx/esm/api')).register();
const { main } = await import(fromSource ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
