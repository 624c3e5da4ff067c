/**
 * Starts real external servers (redis-server, docker-registry, nginx, …) for tests: on 127.0.0.1,
 * a free port, stopped in `after()`. When the binary is missing, `findBinary` returns undefined and
 * the test skips with a message — except under CI (CI=true), where .ci/run installs the packages and
 * a missing binary is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** Looks a program up on PATH and in the usual sbin folders (Debian puts daemons there). */
export function findBinary(name: string, extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...extra];
  for (const d of dirs) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Returns the binary or explains why the test cannot run. Use as:
 * `const bin = requireBinary(t, 'redis-server', 'apt-get install redis-server'); if (!bin) return;`
 */
export function requireBinary(t: { skip(msg: string): void }, name: string, install: string): string | undefined {
  const bin = findBinary(name);
  if (bin) return bin;
  if (process.env.CI) throw new Error(`${name} is not installed; .ci/run must install it (${install})`);
  t.skip(`${name} not installed (${install})`);
  return undefined;
}

/**
 * The ports the kernel hands out for `bind(0)` and outgoing connections (Linux
 * /proc/sys/net/ipv4/ip_local_port_range), or undefined elsewhere.
 */
function ephemeralRange(): [number, number] | undefined {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return lo && hi ? [lo, hi] : undefined;
  } catch {
    return undefined;
  }
}

/** Ports this process has handed out, so two callers never get the same one. */
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1 for a server the test starts later with that port. It is taken below
 * the kernel's ephemeral range when there is room (ports 10000 up to the range's start): there, no
 * `bind(0)` of another test and no outgoing connection can take it between this check and the
 * server's bind (which happened once in CI with a port the OS had picked). Elsewhere the OS picks.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange();
  const low = 10_000;
  if (range && range[0] - low >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + Math.floor(Math.random() * (range[0] - low));
      if (handedOut.has(port) || !(await canBind(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Daemon {
  readonly port: number;
  readonly child: ChildProcess;
  /** Output collected so far (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `bin args` (args may use the chosen port), waits for the port, returns a handle. */
export async function startDaemon(bin: string, args: (port: number) => string[], opts: { port?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Daemon> {
  const port = opts.port ?? (await freePort());
  const child = spawn(bin, args(port), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
  try {
    await waitForPort(port, 15_000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${bin} did not start: ${(e as Error).message}\n${log}`);
  }
  return {
    port,
    child,
    output: () => log,
    stop: () => new Promise<void>((resolve) => {
      // After a signal kill exitCode stays null and signalCode is set: both mean "already gone".
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}
