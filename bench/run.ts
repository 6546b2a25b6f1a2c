// Runs the benchmarks (`npm run bench [name...]`): each bench/<name>.ts exports `run()`, which prints
// ratios measured within one run and returns a JSON-able record; all records go to bench-results/.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'bench-results');
const wanted = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

if (names.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const all: Record<string, unknown> = {};
for (const name of names) {
  console.log(`\n=== bench: ${name} ===`);
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
    run?: () => Promise<Record<string, unknown>>;
  };
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts does not export run()`);
  const started = Date.now();
  const result = await mod.run();
  const record = {
    bench: name,
    date: new Date().toISOString(),
    wallSeconds: (Date.now() - started) / 1000,
    result,
  };
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  all[name] = record;
}
writeFileSync(join(outDir, 'all.json'), `${JSON.stringify(all, null, 2)}\n`);
console.log(`\nwrote ${names.length} result file(s) to ${outDir}`);
