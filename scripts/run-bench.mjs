#!/usr/bin/env node
// `npm run bench` runs every bench/*.bench.ts (or the ones named: `npm run bench -- queue slo`),
// each in its own Node process with the TypeScript sources (no build needed).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const all = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length === 0 ? all : all.filter((f) => wanted.some((w) => f.startsWith(w)));
if (chosen.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join('bench', file)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
