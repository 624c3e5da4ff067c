// Shared by the examples-*.test.ts files: builds an example under examples/as/<name> (once per test
// process, through build-plugin.ts's cache) and checks that it imports only Proxy-Wasm and WASI.
import assert from 'node:assert/strict';
import { buildPlugin } from './build-plugin.js';

/** The built `examples/as/<name>/assembly/index.ts`. */
export function buildExample(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return buildPlugin(`examples/as/${name}/assembly/index.ts`);
}

/** Asserts every import is `env.proxy_*` or `wasi_snapshot_preview1.*` (so the module loads on Envoy/Higress), `proxy_redis_*` only with `redis`. */
export function assertOnlyProxyWasmImports(binary: Uint8Array<ArrayBuffer>, opts: { redis?: boolean } = {}): void {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(binary));
  const other = imports.filter((i) => !(i.module === 'env' && i.name.startsWith('proxy_')) && i.module !== 'wasi_snapshot_preview1');
  assert.deepEqual(other.map((i) => `${i.module}.${i.name}`), []);
  assert.ok(imports.some((i) => i.name.startsWith('proxy_')));
  // Higress's Redis hostcalls only where the plugin uses Redis: the others load on plain Envoy too.
  assert.equal(imports.some((i) => i.name.startsWith('proxy_redis_')), opts.redis ?? false);
}

/** A GET request's headers. */
export const GET = (path = '/', extra: Record<string, string> = {}): Record<string, string> =>
  ({ ':method': 'GET', ':path': path, ':authority': 'shop.test', ':scheme': 'http', ...extra });
