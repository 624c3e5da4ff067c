/**
 * Locating and compiling fixture plugins. Tests run from `packages/host/dist/test/…`, fixtures stay
 * in the source tree: the repository root is found by walking up from this file to the first
 * folder that contains `fixtures/`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePlugin, PluginVm, type PluginModule, type RootContext, type RootOptions, type VmOptions } from '@wasmgate/host';
import { TestPorts } from './ports.js';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'fixtures');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no fixtures/ folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The repository root (the folder holding `fixtures/`). */
export const REPO_ROOT = findRoot();

/** Absolute path of a fixture, given relative to the repository root (`fixtures/wat/trap.wasm`). */
export function fixturePath(rel: string): string {
  return join(REPO_ROOT, rel);
}

/** The bytes of a fixture, relative to the repository root. */
export function readFixture(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(rel)));
}

const compiled = new Map<string, Promise<PluginModule>>();

/** Compiles (once per test process) and checks a fixture plugin. */
export function compileFixture(rel: string): Promise<PluginModule> {
  let p = compiled.get(rel);
  if (!p) {
    p = compilePlugin(readFixture(rel), rel);
    compiled.set(rel, p);
  }
  return p;
}

/** Well-known fixtures. */
export const FIXTURES = {
  proxy: 'fixtures/wat/hostcall-proxy.wasm',
  headersBench: 'fixtures/go/headers-bench/plugin.wasm',
  mockResponse: 'fixtures/go/mock-response/plugin.wasm',
  kitchenSink: 'fixtures/go/kitchen-sink/plugin.wasm',
  cHeadersBench: 'fixtures/c/headers-bench.wasm',
} as const;

export interface Loaded {
  readonly vm: PluginVm;
  readonly root: RootContext;
  readonly ports: TestPorts;
}

/** Loads a fixture into a fresh VM with test ports and creates one root. */
export async function loadPlugin(
  rel: string,
  opts: { ports?: TestPorts; vm?: Partial<VmOptions>; root?: Partial<RootOptions> } = {},
): Promise<Loaded> {
  const ports = opts.ports ?? new TestPorts();
  const vm = await startVm(rel, ports, opts.vm);
  const root = vm.createRoot({ name: opts.root?.name ?? rel, ...opts.root });
  return { vm, root, ports };
}

/** A fresh VM of a fixture (no root yet). */
export async function startVm(rel: string, ports: TestPorts, vmOpts: Partial<VmOptions> = {}): Promise<PluginVm> {
  const mod = await compileFixture(rel);
  return PluginVm.create(mod, { name: vmOpts.name ?? rel, ...vmOpts, ports });
}
