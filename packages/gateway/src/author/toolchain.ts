/**
 * Running compilers: finding an executable on PATH, running it with its output collected, and
 * writing a build's output atomically (temp file + rename, so a gateway watching the file never
 * reads half a module).
 * @module
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The absolute path of `name` on `env.PATH`, or undefined. */
export function which(name: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What a finished process said. */
export interface ExecResult {
  readonly code: number | null;
  /** stdout and stderr interleaved as they arrived. */
  readonly output: string;
}

/** Runs `cmd args` in `cwd` and collects its output; never throws for a non-zero exit. */
export function exec(cmd: string, args: readonly string[], opts: { cwd: string; env: Readonly<Record<string, string | undefined>>; signal?: AbortSignal }): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function tempNext(path: string): string {
  return join(dirname(path), `.${path.split(/[/\\]/).pop()}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/** Writes `bytes` to `path` through a temp file in the same folder and a rename. */
export function writeAtomically(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNext(path);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Copies `from` to `path` through a temp file in the same folder and a rename. */
export function copyAtomically(from: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNext(path);
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
