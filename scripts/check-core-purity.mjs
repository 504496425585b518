#!/usr/bin/env node
// Keeps the pure core pure: files listed here may not import I/O (database, HTTP, file system,
// network, child processes, clocks are passed in). Adapters import the core, never the reverse.
// Also rejects deep imports into another package and import cycles inside each package.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

// Folders whose non-adapter files must be pure. Adapter files (by name) are allowed I/O.
const PURE = [
  {
    dir: 'packages/resilience/src',
    adapters: [/checkpoint\/file-store\.ts$/, /health\/http-check\.ts$/, /resource-guard\.ts$/],
  },
  {
    dir: 'packages/bulwark/src/slo',
    adapters: [/(store|service|routes|cli|jobs?|prometheus[-\w]*)\.ts$/, /\/adapters?\//],
  },
  { dir: 'packages/bulwark/src/chaos/optimizer', adapters: [] },
  { dir: 'packages/bulwark/src/chaos/analyzer', adapters: [] },
];

const FORBIDDEN = [
  /^node:(fs|fs\/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads|dns|tls)$/,
  /^(fs|net|http|https|child_process)$/,
  /^pg$/,
  /^@electric-sql\/pglite/,
  /^drizzle-orm/,
  /^fastify/,
  /^@fastify\//,
  /^ioredis$/,
  /^prom-client$/,
  /^pino/,
];

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const specs = [];
  for (const m of text.matchAll(IMPORT_RE)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs.filter(Boolean);
}

const problems = [];
for (const { dir, adapters } of PURE) {
  for (const file of walk(join(root, dir))) {
    const rel = relative(root, file);
    if (rel.endsWith('.test.ts') || adapters.some((a) => a.test(rel))) continue;
    for (const spec of importsOf(file)) {
      if (FORBIDDEN.some((f) => f.test(spec)))
        problems.push(`${rel}: pure core imports '${spec}' (move the I/O to an adapter)`);
    }
  }
}

// No deep imports into another workspace package.
for (const file of walk(join(root, 'packages'))) {
  for (const spec of importsOf(file)) {
    if (/^@bulwark\/resilience\/.+/.test(spec))
      problems.push(`${relative(root, file)}: deep import '${spec}' (import from '@bulwark/resilience')`);
  }
}

// Import cycles among relative imports (tests excluded).
for (const pkg of ['packages/resilience/src', 'packages/bulwark/src']) {
  const files = walk(join(root, pkg)).filter((f) => !f.endsWith('.test.ts'));
  const graph = new Map();
  for (const f of files) {
    const deps = importsOf(f)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')))
      .map((s) => (s.endsWith('.ts') ? s : `${s}.ts`))
      .filter((s) => graph.has(s) || files.includes(s));
    graph.set(f, deps);
  }
  const state = new Map();
  const stack = [];
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) {
        const cycle = stack
          .slice(stack.indexOf(d))
          .concat(d)
          .map((x) => relative(root, x));
        problems.push(`import cycle: ${cycle.join(' -> ')}`);
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of files) if (!state.has(f)) visit(f);
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`\n${problems.length} architecture problem(s)`);
  process.exit(1);
}
console.log('core purity and import graph: ok');
