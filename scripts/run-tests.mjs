// Runs every compiled test file (dist/**/test/**/*.test.js) with node:test's run().
// Usage: node scripts/run-tests.mjs [substring-filter ...]
// Needs Node >= 22.12: on an older one it re-runs itself on the Node 24 npm installed (scripts/lib/node-runtime.mjs).
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNewEnoughNode } from './lib/node-runtime.mjs';

await ensureNewEnoughNode(fileURLToPath(import.meta.url), 'run-tests');

const root = join(fileURLToPath(import.meta.url), '..', '..');

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js') && p.includes(`${join('dist', 'test')}`)) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(join(root, 'packages'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
const concurrency = Number(process.env.WG_TEST_CONCURRENCY ?? 2);
const stream = run({ files, concurrency, timeout: 10 * 60_000 });
stream.on('test:fail', () => { process.exitCode = 1; });
stream.compose(spec).pipe(process.stdout);
