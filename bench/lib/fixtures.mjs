// The plugin variants the benchmarks run: the same headers-bench logic in Go, C and AssemblyScript
// (on the in-repo runtime, and written with @wasmgate/sdk: examples/as/headers-bench).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const REPO_ROOT = root;

export const FIXTURES = [
  { key: 'go', label: 'Go 1.24 (wasip1)', path: `${root}fixtures/go/headers-bench/plugin.wasm`, go: true },
  { key: 'c', label: 'C (clang, no libc)', path: `${root}fixtures/c/headers-bench.wasm`, go: false },
  { key: 'as', label: 'AssemblyScript 0.28', path: `${root}fixtures/as/headers-bench.wasm`, go: false },
  // Not committed: built from source by ensureBuiltFixtures() (bench/run.mjs at start, micro.mjs and
  // instrument.mjs when missing or older than the example or the SDK).
  {
    key: 'as_sdk', label: 'AssemblyScript 0.28, @wasmgate/sdk', path: `${root}bench/results/tmp/headers-bench-sdk.wasm`, go: false,
    entry: `${root}examples/as/headers-bench/assembly/index.ts`, sources: [`${root}examples/as/headers-bench/assembly`, `${root}packages/sdk/assembly`],
  },
];

/** Newest modification time under `dir` (files only), 0 when absent. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the FIXTURES that have an `entry` with @wasmgate/sdk's buildAssemblyScript (needs `tsc -b`:
 * packages/sdk/dist). `force` rebuilds; otherwise only a missing or stale .wasm is built.
 * @returns the keys built, with the build time in ms
 */
export async function ensureBuiltFixtures({ force = false } = {}) {
  const built = {};
  for (const fx of FIXTURES.filter((f) => f.entry)) {
    const stale = !existsSync(fx.path) || Math.max(...fx.sources.map(newest)) > statSync(fx.path).mtimeMs;
    if (!force && !stale) continue;
    const { buildAssemblyScript } = await import(pathToFileURL(`${root}packages/sdk/dist/src/build.js`).href);
    const r = await buildAssemblyScript({ entry: fx.entry, outFile: fx.path });
    if (!r.ok) throw new Error(`bench: building ${fx.entry} failed:\n${r.diagnostics}`);
    built[fx.key] = Math.round(r.ms);
  }
  return built;
}

/** Go fixtures whose cold start is measured (all prebuilt Go plugins in the repository). */
export const GO_FIXTURES = [
  { key: 'headers-bench', path: `${root}fixtures/go/headers-bench/plugin.wasm` },
  { key: 'mock-response', path: `${root}fixtures/go/mock-response/plugin.wasm`, config: '{"content":"hello"}' },
  { key: 'kitchen-sink', path: `${root}fixtures/go/kitchen-sink/plugin.wasm` },
];

/**
 * headers-bench with its 20 header names and values built per request (as the Alibaba Cloud
 * MSE/Higress reference plugin does) rather than once at start; a variant over sockets only.
 */
export const AS_PER_REQUEST = { key: 'as_per_request', label: 'AssemblyScript 0.28, names built per request', path: `${root}fixtures/as/headers-bench-per-request.wasm` };
