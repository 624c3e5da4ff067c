/**
 * `wasmgate init`'s engine: a ready plugin project from the templates shipped in the gateway
 * package (`templates/common` plus `templates/<lang>`), with `{{name}}` / `{{crate}}` filled in and
 * a package.json whose `@wasmgate/*` dependencies point at this installation (see
 * {@link wasmgateDependencies}).
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmgateError } from '@wasmgate/host';
import type { Language } from './project.js';
import { INSTALL_PACKAGES } from './build.js';
import './errors.js';

/** The gateway package's templates folder (dist/src/author → ../../../templates). */
export const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));

/** The wasmgate package version (packages/gateway/package.json). */
function gatewayVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.1.0';
  }
}

/** The package names a project depends on, and the folders they are in within a checkout. */
const PACKAGES = { wasmgate: 'gateway', '@wasmgate/host': 'host', '@wasmgate/testing': 'testing', '@wasmgate/sdk': 'sdk' } as const;
type PackageName = keyof typeof PACKAGES;

/**
 * The version specs of the wasmgate packages for a new project's package.json:
 * - `sdkVersion` (`--sdk-version`, else `WASMGATE_SDK_VERSION`): that range from the registry;
 * - else, when this installation sits in a checkout with the packages side by side: `file:` paths
 *   to them (the packages are not on the npm registry yet);
 * - else `^<this wasmgate's version>`.
 */
export function wasmgateDependencies(names: readonly PackageName[], sdkVersion: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const dir = join(INSTALL_PACKAGES, PACKAGES[n]);
    out[n] = sdkVersion ?? (packageNameAt(dir) === n ? `file:${dir}` : `^${gatewayVersion()}`);
  }
  return out;
}

/** The `name` of the package.json in `dir` (an installed wasmgate's siblings are unrelated packages). */
function packageNameAt(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** Plugin name from the folder name: lowercase, dashes, a letter first (a valid npm, Go module and crate name). */
export function pluginName(dir: string): string {
  const n = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '');
  return n || 'my-plugin';
}

/** Options of {@link initProject}. */
export interface InitOptions {
  readonly dir: string;
  readonly lang: Language;
  readonly name?: string;
  /** Registry version range for the `@wasmgate/*` packages instead of `file:` paths. */
  readonly sdkVersion?: string;
}

/** What init wrote. */
export interface InitResult {
  readonly dir: string;
  readonly name: string;
  /** Relative paths of the files written, sorted. */
  readonly files: string[];
  readonly dependencies: Record<string, string>;
}

function copyTree(from: string, to: string, vars: Record<string, string>, written: string[], root: string): void {
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    // npm drops .gitignore files from packages: the template's is _gitignore.
    const dest = join(to, entry === '_gitignore' ? '.gitignore' : entry);
    if (statSync(src).isDirectory()) {
      mkdirSync(dest, { recursive: true });
      copyTree(src, dest, vars, written, root);
      continue;
    }
    const text = readFileSync(src, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
    writeFileSync(dest, text);
    if (statSync(src).mode & 0o111) chmodSync(dest, 0o755);
    written.push(relative(root, dest));
  }
}

/** Creates the project; throws WG_INIT_NOT_EMPTY for a folder with files, WG_INIT_TEMPLATE without templates. */
export function initProject(opts: InitOptions): InitResult {
  const dir = resolve(opts.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new WasmgateError('WG_INIT_NOT_EMPTY', `${opts.dir} exists and is not a folder`);
    const present = readdirSync(dir);
    if (present.length > 0) {
      throw new WasmgateError('WG_INIT_NOT_EMPTY', `${opts.dir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? `, … ${present.length} entries` : ''}); init never overwrites files`);
    }
  }
  const common = join(TEMPLATES, 'common');
  const own = join(TEMPLATES, opts.lang);
  if (!existsSync(common) || !existsSync(own)) {
    throw new WasmgateError('WG_INIT_TEMPLATE', `no project templates at ${TEMPLATES} (looked for common/ and ${opts.lang}/)`);
  }
  const name = opts.name ?? pluginName(dir);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const vars = { name, crate: name.replace(/-/g, '_') };
  copyTree(common, dir, vars, written, dir);
  copyTree(own, dir, vars, written, dir);
  const names: PackageName[] = opts.lang === 'as' ? ['wasmgate', '@wasmgate/host', '@wasmgate/testing', '@wasmgate/sdk'] : ['wasmgate', '@wasmgate/host', '@wasmgate/testing'];
  const dependencies = {
    ...wasmgateDependencies(names, opts.sdkVersion),
    ...(opts.lang === 'as' ? { assemblyscript: '^0.28.20' } : {}),
  };
  const pkg = {
    name, version: '0.1.0', private: true, type: 'module',
    description: `${name}: a Proxy-Wasm plugin for Higress (made with wasmgate init --lang ${opts.lang})`,
    scripts: { build: 'wasmgate build', test: 'wasmgate build && node --test test/*.test.mjs', dev: 'wasmgate dev' },
    devDependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  written.push('package.json');
  return { dir, name, files: written.sort(), dependencies };
}
