// The plugin variants the benchmarks run: the same headers-bench logic in Go, C and AssemblyScript.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const REPO_ROOT = root;

export const FIXTURES = [
  { key: 'go', label: 'Go 1.24 (wasip1)', path: `${root}fixtures/go/headers-bench/plugin.wasm`, go: true },
  { key: 'c', label: 'C (clang, no libc)', path: `${root}fixtures/c/headers-bench.wasm`, go: false },
  { key: 'as', label: 'AssemblyScript 0.28', path: `${root}fixtures/as/headers-bench.wasm`, go: false },
];

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
