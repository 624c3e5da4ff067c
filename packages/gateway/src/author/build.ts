/**
 * `wasmgate build`'s engine: runs the project's toolchain with the canonical flags and writes the
 * module atomically (default `build/plugin.wasm`).
 *
 * - AssemblyScript: `buildAssemblyScript` of `@wasmgate/sdk/build` (the project's own SDK, else the
 *   one next to this wasmgate installation); see /work/notes/sdk-api.md.
 * - Go: Go ≥ 1.24 `GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared` (what Higress's wasm-go
 *   uses today), else TinyGo with the flags Higress used before Go 1.24.
 * - Rust: `cargo build --target wasm32-wasip1 --release`, then the crate's .wasm is copied.
 *
 * A missing toolchain is a WG_BUILD_TOOLCHAIN error naming the install command; a compile error is
 * an outcome with `ok: false` and the compiler's messages, never a throw.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WasmgateError } from '@wasmgate/host';
import type { Project } from './project.js';
import { ascDiagnostics } from './diagnostics.js';
import { copyAtomically, exec, which, writeAtomically } from './toolchain.js';
import './errors.js';

/** Options of {@link buildProject}. */
export interface BuildProjectOptions {
  /** AssemblyScript only: the ABI marker to export (default 0.2.100, Higress; 0.2.1 for plain Envoy/Istio). */
  readonly abi?: '0.2.100' | '0.2.1';
  /** Unoptimised, with debug names. */
  readonly debug?: boolean;
  /** Where to write the module (default: the project's build/plugin.wasm). */
  readonly out?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/** What a build did. */
export interface BuildOutcome {
  readonly ok: boolean;
  /** Absolute path of the module written (when ok). */
  readonly output: string;
  readonly ms: number;
  /** The compiler's messages ('' when none). */
  readonly diagnostics: string;
  /** The command line that ran, as one could type it. */
  readonly command: string;
}

/** The subset of `@wasmgate/sdk/build` wasmgate uses (the agreed interface). */
interface SdkBuild {
  buildAssemblyScript(options: { entry: string; outFile?: string; abi?: '0.2.100' | '0.2.1'; debug?: boolean }): Promise<{
    ok: boolean; binary?: Uint8Array; diagnostics: string; flags: string[]; ms: number;
  }>;
}

/** Builds the project; throws only WG_BUILD_TOOLCHAIN (and I/O errors). */
export async function buildProject(p: Project, opts: BuildProjectOptions): Promise<BuildOutcome> {
  const out = opts.out ? resolve(p.dir, opts.out) : p.output;
  if (p.lang === 'as') return buildAs(p, out, opts);
  if (p.lang === 'go') return buildGo(p, out, opts);
  return buildRust(p, out, opts);
}

// -------------------------------------------------------------------------------------------------
// AssemblyScript
// -------------------------------------------------------------------------------------------------

/** The installation's own packages folder (packages/ in a checkout): dist/src/author → ../../../../. */
export const INSTALL_PACKAGES = fileURLToPath(new URL('../../../../', import.meta.url));

/** Where `@wasmgate/sdk` is: the project's node_modules (walking up), else next to this installation. */
export function findSdk(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const c = join(d, 'node_modules', '@wasmgate', 'sdk');
    if (existsSync(join(c, 'package.json'))) return realpathSync(c);
    if (dirname(d) === d) break;
  }
  // In a checkout the SDK sits next to the gateway (packages/sdk); an installed wasmgate's
  // neighbours are other packages, so the name must match.
  const sibling = join(INSTALL_PACKAGES, 'sdk');
  try {
    return (JSON.parse(readFileSync(join(sibling, 'package.json'), 'utf8')) as { name?: string }).name === '@wasmgate/sdk' ? sibling : undefined;
  } catch {
    return undefined;
  }
}

async function loadSdkBuild(dir: string): Promise<{ sdk: SdkBuild; from: string }> {
  const root = findSdk(dir);
  if (!root) {
    throw new WasmgateError('WG_BUILD_TOOLCHAIN', '@wasmgate/sdk is not installed in this project (it compiles AssemblyScript plugins)', {
      hint: `Run "npm install" in ${dir} (the package.json wasmgate init wrote lists @wasmgate/sdk and assemblyscript).`,
    });
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: Record<string, string | Record<string, string>> };
  const entry = pkg.exports?.['./build'];
  const file = typeof entry === 'string' ? entry : entry?.import ?? entry?.default ?? 'dist/src/build.js';
  const path = join(root, file);
  if (!existsSync(path)) {
    throw new WasmgateError('WG_BUILD_TOOLCHAIN', `@wasmgate/sdk at ${root} has no build module (${file})`, {
      hint: 'The SDK is not built: run "npm run build" (or "npx tsc -b") in the wasmgate checkout, or reinstall @wasmgate/sdk.',
    });
  }
  return { sdk: (await import(pathToFileURL(path).href)) as SdkBuild, from: root };
}

async function buildAs(p: Project, out: string, opts: BuildProjectOptions): Promise<BuildOutcome> {
  const entry = join(p.dir, 'assembly', 'index.ts');
  if (!existsSync(entry)) throw new WasmgateError('WG_BUILD_NO_PROJECT', `${p.dir} has no assembly/index.ts, the AssemblyScript entry file`, { exit: 2 });
  const { sdk } = await loadSdkBuild(p.dir);
  const r = await sdk.buildAssemblyScript({ entry, abi: opts.abi ?? '0.2.100', debug: opts.debug === true });
  if (r.ok && r.binary) writeAtomically(out, r.binary);
  return { ok: r.ok && r.binary !== undefined, output: out, ms: r.ms, diagnostics: ascDiagnostics(r.diagnostics.trimEnd()), command: `asc ${relative(p.dir, entry)} ${r.flags.join(' ')}` };
}

// -------------------------------------------------------------------------------------------------
// Go
// -------------------------------------------------------------------------------------------------

const GO_HINT = [
  'Install Go 1.24 or newer (it builds wasip1 plugins itself): https://go.dev/dl/ , e.g.',
  '  curl -fsSL https://go.dev/dl/go1.24.5.linux-amd64.tar.gz | sudo tar -C /usr/local -xz && export PATH=$PATH:/usr/local/go/bin',
  'or TinyGo 0.29+ (https://tinygo.org/getting-started/install/): wasmgate build uses it when no Go 1.24 is found.',
].join('\n');

async function goVersion(go: string, env: BuildProjectOptions['env']): Promise<[number, number] | undefined> {
  const r = await exec(go, ['env', 'GOVERSION'], { cwd: '/', env });
  const m = /go(\d+)\.(\d+)/.exec(r.output);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

async function buildGo(p: Project, out: string, opts: BuildProjectOptions): Promise<BuildOutcome> {
  const go = which('go', opts.env);
  const v = go ? await goVersion(go, opts.env) : undefined;
  const tmp = join(dirname(out), `.plugin-${process.pid}.wasm.tmp`);
  const started = performance.now();
  let args: string[];
  let cmd: string;
  let env = { ...opts.env };
  if (go && v && (v[0] > 1 || v[1] >= 24)) {
    cmd = go;
    env = { ...env, GOOS: 'wasip1', GOARCH: 'wasm' };
    args = ['build', '-buildmode=c-shared', ...(opts.debug ? ['-gcflags=all=-N -l'] : []), '-o', tmp, '.'];
  } else {
    const tinygo = which('tinygo', opts.env);
    if (!tinygo) {
      const found = go ? `Go ${v ? `${v[0]}.${v[1]}` : '(unknown version)'} is installed, but Go plugins need Go 1.24 or newer` : 'neither go nor tinygo is on PATH';
      throw new WasmgateError('WG_BUILD_TOOLCHAIN', `cannot build the Go plugin in ${p.dir}: ${found}`, { hint: GO_HINT });
    }
    cmd = tinygo;
    args = ['build', '-o', tmp, '-scheduler=none', '-target=wasi', '-gc=custom', '-tags=custommalloc nottinygc_finalizer', ...(opts.debug ? [] : ['-no-debug']), '.'];
  }
  const shown = `${cmd === go ? 'GOOS=wasip1 GOARCH=wasm ' : ''}${cmd.split('/').pop()} ${args.map((a) => (a === tmp ? relative(p.dir, out) : a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
  mkdirSync(dirname(out), { recursive: true });
  const r = await exec(cmd, args, { cwd: p.dir, env, ...(opts.signal ? { signal: opts.signal } : {}) });
  const ms = Math.round(performance.now() - started);
  if (r.code !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    return { ok: false, output: out, ms, diagnostics: r.output.trimEnd(), command: shown };
  }
  copyAtomically(tmp, out);
  rmSync(tmp, { force: true });
  return { ok: true, output: out, ms, diagnostics: r.output.trimEnd(), command: shown };
}

// -------------------------------------------------------------------------------------------------
// Rust
// -------------------------------------------------------------------------------------------------

const RUST_TARGET = 'wasm32-wasip1';

/** `[package] name` of a Cargo.toml, as cargo names the .wasm (dashes become underscores). */
export function crateName(cargoToml: string): string | undefined {
  const pkg = /^\[package\]([\s\S]*?)(?:^\[|(?![\s\S]))/m.exec(cargoToml)?.[1] ?? '';
  const lib = /^\[lib\]([\s\S]*?)(?:^\[|(?![\s\S]))/m.exec(cargoToml)?.[1] ?? '';
  const name = /^\s*name\s*=\s*"([^"]+)"/m.exec(lib)?.[1] ?? /^\s*name\s*=\s*"([^"]+)"/m.exec(pkg)?.[1];
  return name?.replace(/-/g, '_');
}

async function buildRust(p: Project, out: string, opts: BuildProjectOptions): Promise<BuildOutcome> {
  const cargo = which('cargo', opts.env);
  if (!cargo) {
    throw new WasmgateError('WG_BUILD_TOOLCHAIN', `cannot build the Rust plugin in ${p.dir}: cargo is not on PATH`, {
      hint: `Install Rust with rustup, then the WebAssembly target:\n  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh\n  rustup target add ${RUST_TARGET}`,
    });
  }
  const rustup = which('rustup', opts.env);
  if (rustup) {
    const installed = await exec(rustup, ['target', 'list', '--installed'], { cwd: p.dir, env: opts.env });
    if (installed.code === 0 && !installed.output.split('\n').includes(RUST_TARGET)) {
      throw new WasmgateError('WG_BUILD_TOOLCHAIN', `cannot build the Rust plugin in ${p.dir}: the Rust target ${RUST_TARGET} is not installed (installed: ${installed.output.trim().split('\n').join(', ') || 'none'})`, {
        hint: `rustup target add ${RUST_TARGET}`,
      });
    }
  }
  const name = crateName(readFileSync(join(p.dir, 'Cargo.toml'), 'utf8'));
  if (!name) throw new WasmgateError('WG_BUILD_NO_PROJECT', `${join(p.dir, 'Cargo.toml')} has no [package] name`, { exit: 2 });
  const args = ['build', '--target', RUST_TARGET, ...(opts.debug ? [] : ['--release'])];
  const started = performance.now();
  const r = await exec(cargo, args, { cwd: p.dir, env: opts.env, ...(opts.signal ? { signal: opts.signal } : {}) });
  const ms = Math.round(performance.now() - started);
  const built = join(p.dir, 'target', RUST_TARGET, opts.debug ? 'debug' : 'release', `${name}.wasm`);
  const command = `cargo ${args.join(' ')} && cp ${relative(p.dir, built)} ${relative(p.dir, out)}`;
  if (r.code !== 0 || !existsSync(built)) return { ok: false, output: out, ms, diagnostics: r.output.trimEnd(), command };
  copyAtomically(built, out);
  return { ok: true, output: out, ms, diagnostics: r.output.trimEnd(), command };
}
