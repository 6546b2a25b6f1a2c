#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`: declaration files keep the sources' `.ts` import paths
// (tsc rewrites them in .js only), so point them at `.js`; and copy the WASM kernels beside the JS.
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8');
      const fixed = text.replace(relativeTs, '$1$2.js$3');
      if (fixed !== text) writeFileSync(file, fixed);
    }
  }
}
walk(dist);
copyFileSync(path.join(root, 'src/model/kernels.wasm'), path.join(dist, 'model/kernels.wasm'));
