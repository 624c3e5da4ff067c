/**
 * Plugin projects for the author-command tests: `wasmgate init` into a temp folder, `npm install`
 * with the Node running the tests first on PATH, and a line reader for long-running commands
 * (`dev`) that resolves on a printed line instead of sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { CLI, runCli, runProgram as runAny, type CliResult } from './cli.js';
import { REPO_ROOT, type AfterHook } from './gateway.js';

/** Whether the AssemblyScript SDK is in this checkout and built (the AS template needs it). */
export function sdkSkip(): string | false {
  const sdk = join(REPO_ROOT, 'packages', 'sdk');
  if (!existsSync(join(sdk, 'package.json'))) return 'packages/sdk is not in this checkout';
  if (!existsSync(join(sdk, 'dist', 'src', 'build.js'))) return 'packages/sdk is not built (npx tsc -b)';
  return false;
}

/** PATH with the running Node's folder first (npm scripts then run node:test on it). */
export function nodeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Without NODE_TEST_CONTEXT: a project's own `node --test` would otherwise report to this runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`, NO_COLOR: '1', ...extra };
}

/** A temp folder removed after the test. */
export function tempDir(hook: AfterHook, prefix = 'wasmgate-author-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  hook.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a program to completion with {@link nodeEnv} unless told otherwise; killed (and failed) after `timeoutMs`. */
export function runProgram(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return runAny(cmd, args, { ...opts, env: opts.env ?? nodeEnv() });
}

/**
 * `wasmgate init <dir>/<name> …args`, asserted to succeed; the project folder. Without `install`,
 * init is told `--no-install` (tests that need the dependencies install them themselves, offline
 * first); with it, init runs npm install itself, as a user's init does.
 */
export async function initProject(parent: string, name: string, args: string[] = [], opts: { install?: boolean } = {}): Promise<string> {
  const r = opts.install
    ? await runProgram(process.execPath, [CLI, 'init', join(parent, name), ...args], { cwd: parent, timeoutMs: 180_000 })
    : await runCli(['init', join(parent, name), '--no-install', ...args]);
  if (r.code !== 0) throw new Error(`wasmgate init failed (${r.code})\n${r.stdout}\n${r.stderr}`);
  return join(parent, name);
}

/** `npm install` as the README says, bounded. */
export async function npmInstall(dir: string): Promise<void> {
  const r = await runProgram('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`npm install failed (${r.code})\n${r.stdout}\n${r.stderr}`);
}

/** A long-running CLI command whose output lines can be awaited. */
export interface LineProcess {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr, in arrival order per stream). */
  output(): string;
  /** Resolves with the first line at or after `from` (a count of lines seen) matching `re`. */
  waitLine(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<{ line: string; index: number }>;
  /** Lines seen so far. */
  lineCount(): number;
}

/** Spawns `wasmgate …args` in `cwd` and stops it (SIGTERM, then SIGKILL) after the test. */
export function spawnWasmgate(hook: AfterHook, args: string[], cwd: string): LineProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: nodeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (partial: { rest: string }) => (d: Buffer) => {
    text += d.toString();
    const parts = (partial.rest + d.toString()).split('\n');
    partial.rest = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData({ rest: '' }));
  child.stderr!.on('data', onData({ rest: '' }));
  hook.after(() => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }));
  return {
    child,
    output: () => text,
    lineCount: () => lines.length,
    waitLine(re, opts = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = opts.from ?? 0; i < lines.length; i++) {
            if (re.test(lines[i]!)) {
              done();
              resolve({ line: lines[i]!, index: i });
              return;
            }
          }
          if (child.exitCode !== null) {
            done();
            reject(new Error(`wasmgate exited (${child.exitCode}) before printing ${re}\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${re} within ${opts.timeoutMs ?? 60_000} ms\n${text}`));
        }, opts.timeoutMs ?? 60_000);
        const onExit = () => check();
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.on('exit', onExit);
        check();
      });
    },
  };
}
