// Enforces the layering of STYLE.md §3.2 on the sources (not on tests):
//  - packages/host imports nothing outside itself (no node:*, no packages) and uses no
//    setTimeout/setInterval/Date/fetch/console/process: time, timers, I/O and logs come through HostPorts;
//  - packages/testing imports host only through '@wasmgate/host';
//  - only packages/gateway/src/cli touches process.exit / process.argv / process.stdout.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const problems = [];
function walk(dir, out = []) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const imports = (src) => [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
const stripComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');

for (const file of walk(join(root, 'packages/host/src'))) {
  const src = stripComments(readFileSync(file, 'utf8'));
  for (const spec of imports(src)) if (!spec.startsWith('.')) problems.push(`${relative(root, file)}: host imports "${spec}" (host may import only its own files)`);
  for (const g of ['setTimeout', 'setInterval', 'Date.now', 'new Date', 'fetch(', 'console.', 'process.', 'performance.now']) {
    if (src.includes(g)) problems.push(`${relative(root, file)}: host uses "${g}" (go through HostPorts instead)`);
  }
}
for (const file of walk(join(root, 'packages/testing/src'))) {
  for (const spec of imports(readFileSync(file, 'utf8'))) {
    if (spec.includes('host/src') || spec.includes('/dist/')) problems.push(`${relative(root, file)}: testing imports "${spec}" (use '@wasmgate/host')`);
  }
}
for (const file of walk(join(root, 'packages/gateway/src'))) {
  if (file.includes(join('src', 'cli'))) continue;
  const src = stripComments(readFileSync(file, 'utf8'));
  for (const g of ['process.exit', 'process.argv', 'process.stdout', 'process.stderr']) {
    if (src.includes(g)) problems.push(`${relative(root, file)}: uses "${g}" outside cli/ (take a CliIo or logger instead)`);
  }
}
if (problems.length) {
  console.error(`check-layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('check-layers: ok');
