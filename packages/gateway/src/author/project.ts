/**
 * What a plugin project is, as `wasmgate build`, `dev` and `manifest` see it: its language (from
 * the files in it), where its sources are, and where the build goes (`build/plugin.wasm`).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import './errors.js';

/** The languages `wasmgate init` has templates for and `wasmgate build` can drive. */
export const LANGUAGES = ['as', 'go', 'rust'] as const;
export type Language = (typeof LANGUAGES)[number];

/** How messages name each language. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { as: 'AssemblyScript', go: 'Go', rust: 'Rust' };

/** A plugin project on disk. */
export interface Project {
  /** Absolute path of the project folder. */
  readonly dir: string;
  readonly lang: Language;
  /** Why the language was chosen (`go.mod`, …), for messages. */
  readonly detectedBy: string;
  /** Where `wasmgate build` writes the module by default. */
  readonly output: string;
  /** Folders and files whose changes `wasmgate dev` rebuilds on (relative to dir). */
  readonly sources: (path: string) => boolean;
}

/** The default build output, relative to the project: what the WasmPlugin's `url: file://./build/plugin.wasm` names. */
export const DEFAULT_OUTPUT = join('build', 'plugin.wasm');

/** Folders never watched or treated as sources. */
const IGNORED = /^(?:build|node_modules|target|\.git|dist)(?:[/\\]|$)/;

// Not the lock files (go.sum, Cargo.lock): the toolchains write them during a build, which would
// start another build.
const SOURCE_EXT: Record<Language, RegExp> = {
  as: /\.ts$|^asconfig\.json$/,
  go: /\.go$|^go\.mod$/,
  rust: /\.rs$|^Cargo\.toml$/,
};

function hasAssemblyScript(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    return 'assemblyscript' in { ...pkg.dependencies, ...pkg.devDependencies };
  } catch {
    return false;
  }
}

/**
 * Finds the project's language: `go.mod` → Go, `Cargo.toml` → Rust, `asconfig.json`,
 * `assembly/index.ts` or a package.json depending on assemblyscript → AssemblyScript.
 * Throws WG_BUILD_NO_PROJECT otherwise.
 */
export function detectProject(dirArg: string, cwd: string): Project {
  const dir = resolve(cwd, dirArg);
  const found = (lang: Language, detectedBy: string): Project => ({
    dir, lang, detectedBy, output: join(dir, DEFAULT_OUTPUT),
    sources: (p) => !IGNORED.test(p) && SOURCE_EXT[lang].test(p.split(/[/\\]/).pop() ?? p),
  });
  if (existsSync(join(dir, 'go.mod'))) return found('go', 'go.mod');
  if (existsSync(join(dir, 'Cargo.toml'))) return found('rust', 'Cargo.toml');
  if (existsSync(join(dir, 'asconfig.json'))) return found('as', 'asconfig.json');
  if (existsSync(join(dir, 'assembly', 'index.ts'))) return found('as', 'assembly/index.ts');
  if (hasAssemblyScript(dir)) return found('as', 'package.json (assemblyscript)');
  const name = dirArg === '.' ? 'this folder' : dirArg;
  if (!existsSync(dir)) throw new WasmgateError('WG_BUILD_NO_PROJECT', `${name}: no such folder`);
  throw new WasmgateError('WG_BUILD_NO_PROJECT', `${name} has no go.mod, Cargo.toml, asconfig.json, assembly/index.ts or package.json depending on assemblyscript`);
}
