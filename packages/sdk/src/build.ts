/**
 * @module
 * Node-side build API of `@wasmgate/sdk`: compiles an AssemblyScript plugin written with the SDK into a
 * Proxy-Wasm module, using asc's programmatic API (no child process).
 *
 * How the SDK is found: asc 0.28 looks packages up in `node_modules` folders above its base directory and
 * names their files `~lib/<package>/…`. build.ts answers every lookup of `node_modules/@wasmgate/sdk/…`
 * from the SDK package this file belongs to, so a build works from any working directory and always uses
 * the SDK that built it (no second copy, and the `--use abort=` path below always exists).
 */
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { withProducers } from './producers.js';

/** `0.2.100` = Higress (default), `0.2.1` = plain Envoy / Istio. */
export type AbiTarget = '0.2.100' | '0.2.1';

export interface BuildOptions {
  /** The plugin's entry .ts file (absolute or relative to the working directory). */
  entry: string;
  /** Write the .wasm here (atomically: temp file + rename); omit to only return it. */
  outFile?: string;
  /** Default `'0.2.100'`. */
  abi?: AbiTarget;
  /** Unoptimised, with debug names (default false: -O3). */
  debug?: boolean;
}

export interface BuildResult {
  ok: boolean;
  /** Present when ok. */
  binary?: Uint8Array;
  /** asc's messages (errors/warnings with file:line:col), '' when none. */
  diagnostics: string;
  /** The asc command-line flags used. */
  flags: string[];
  ms: number;
}

/** Root of this package: dist/src/build.js → ../../ */
const SDK_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The version field of a package.json, or "unknown". */
function versionOf(packageJson: string): string {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
const sdkVersion = (): string => versionOf(join(SDK_ROOT, 'package.json'));
const ascVersion = (): string => (typeof asc.version === 'string' ? asc.version : 'unknown');
const SDK_SEGMENT = `${sep}node_modules${sep}@wasmgate${sep}sdk${sep}`;
/** Internal asc name of the SDK's abort (assembly/abort.ts, imported by assembly/exports.ts). */
const ABORT_USE = 'abort=~lib/@wasmgate/sdk/assembly/abort/sdkAbort';
const MARKERS: Record<AbiTarget, string> = {
  '0.2.100': join(SDK_ROOT, 'assembly', 'abi', 'marker-0_2_100.ts'),
  '0.2.1': join(SDK_ROOT, 'assembly', 'abi', 'marker-0_2_1.ts'),
};
const OUT_NAME = 'plugin.wasm';

/** The asc flags for a target (without the entry files), as `wasmgate build` prints them. */
export function buildFlags(abi: AbiTarget = '0.2.100', debug = false): string[] {
  const flags = debug ? ['--debug'] : ['-O3'];
  flags.push('--runtime', 'incremental', '--exportStart', '_initialize', '--use', ABORT_USE);
  // The 0.2.1 marker entry is paired with a compile-time constant the SDK reads (assembly/abi.ts).
  if (abi === '0.2.1') flags.push('--use', 'WASMGATE_ABI_0_2_1=1');
  flags.push('--noColors');
  return flags;
}

/** The nearest folder at or above `dir` holding a package.json, else `dir` itself. */
function projectRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    try {
      if (statSync(join(d, 'package.json')).isFile()) return d;
    } catch { /* keep climbing */ }
    if (dirname(d) === d) return dir;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

// asc keeps some process-wide state; builds run one at a time.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Compiles a plugin. Never throws on compile errors: `ok` is false and `diagnostics` says why.
 *
 * @example
 * const r = await buildAssemblyScript({ entry: 'assembly/index.ts', outFile: 'build/plugin.wasm' });
 * if (!r.ok) console.error(r.diagnostics);
 */
export function buildAssemblyScript(options: BuildOptions): Promise<BuildResult> {
  const run = queue.then(() => build(options));
  queue = run.catch(() => undefined);
  return run;
}

async function build(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const abi = options.abi ?? '0.2.100';
  const flags = buildFlags(abi, options.debug ?? false);
  const entry = resolve(options.entry);
  // asc resolves packages from its base directory: use the plugin's project so its own deps resolve.
  const baseDir = projectRoot(dirname(entry));
  const configPath = join(baseDir, 'asconfig.json');
  let ignoredConfig = false;
  const rel = (p: string) => {
    const r = relative(baseDir, p);
    return isAbsolute(r) ? r : r.split(sep).join('/');
  };
  let binary: Uint8Array | undefined;
  let stderr = '';
  let stdout = '';
  const finish = (ok: boolean, extra = ''): BuildResult => ({
    ok,
    ...(ok && binary ? { binary } : {}),
    diagnostics: (stderr + stdout + extra + (ignoredConfig ? `\nnote: ${configPath} is not read: the build's flags are fixed (${flags.join(' ')})` : '')).trim(),
    flags,
    ms: Math.round(performance.now() - started),
  });
  const marker = MARKERS[abi];
  if (!marker) return finish(false, `unknown abi "${String(abi)}" (use '0.2.100' or '0.2.1')`);
  if (readText(entry) === null) return finish(false, `cannot read the entry file ${entry}`);
  const argv = [rel(entry), rel(marker), '--outFile', OUT_NAME, '--baseDir', baseDir, ...flags];
  try {
    const result = await asc.main(argv, {
      stdout: { write: (chunk: Uint8Array | string) => { stdout += String(chunk); return true; } } as never,
      stderr: { write: (chunk: Uint8Array | string) => { stderr += String(chunk); return true; } } as never,
      readFile: (name: string, dir: string) => {
        const path = resolve(dir, name);
        // asc applies <baseDir>/asconfig.json on its own (its "release" target and entries). The flags
        // here are the build's contract (marker entry, abort, -O3 or not), so a project's asconfig.json
        // is not read; the diagnostics say so when there is one.
        if (path === configPath) {
          if (readText(path) !== null) ignoredConfig = true;
          return null;
        }
        const at = path.lastIndexOf(SDK_SEGMENT);
        return readText(at >= 0 ? join(SDK_ROOT, path.slice(at + SDK_SEGMENT.length)) : path);
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
      listFiles: () => [],
    });
    if (result.error || !binary) return finish(false, result.error ? String(result.error.message) : 'asc emitted no binary');
  } catch (e) {
    return finish(false, e instanceof Error ? e.message : String(e));
  }
  binary = withProducers(binary, { language: [['AssemblyScript', ascVersion()]], 'processed-by': [['@wasmgate/sdk', sdkVersion()]] });
  if (options.outFile) {
    const out = resolve(options.outFile);
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, binary);
      renameSync(tmp, out);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      return finish(false, `cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return finish(true);
}
