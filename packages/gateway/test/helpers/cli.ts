/**
 * Runs the real CLI (packages/gateway/bin/wasmgate.js) with the Node running the tests: to
 * completion (`runCli`), or as a long-lived server (`spawnCli`) that is killed by its AfterHook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type AfterHook } from './gateway.js';

export const CLI = join(REPO_ROOT, 'packages', 'gateway', 'bin', 'wasmgate.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program to completion and collects its output; killed (and failed) after `timeoutMs`
 * (default 120 s). `env` defaults to this process's.
 */
export function runProgram(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `wasmgate …args` and collects its output; killed (and failed) after `timeoutMs` (default 20 s). */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO_ROOT, timeoutMs: opts.timeoutMs ?? 20_000 });
}

export interface CliServer {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resident set size and its high-water mark, in bytes (Linux /proc). */
  memory(): { rss: number; hwm: number };
}

/**
 * Spawns a long-running command (`serve`, `run`) and resolves once stderr shows `ready` (a regexp);
 * SIGTERM then SIGKILL through `hook`. Rejects if the process exits first or takes over `timeoutMs`.
 */
export function spawnCli(hook: AfterHook, args: string[], ready: RegExp, timeoutMs = 20_000): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  hook.after(() => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  }));
  const server: CliServer = {
    child,
    stdout: () => out,
    stderr: () => err,
    memory() {
      // The launcher may re-spawn itself on an old Node; here process.execPath is already new enough.
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (name: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wasmgate ${args[0]} not ready within ${timeoutMs} ms\n${err}`)), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready.test(err)) {
        clearTimeout(timer);
        resolve(server);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wasmgate ${args[0]} exited with ${code} before it was ready\n${err}`));
    });
  });
}
