import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPlugin } from '@wasmgate/testing';
import { buildAssemblyScript, buildFlags } from '../src/build.js';
import { buildPlugin, SDK_ROOT } from './build-plugin.js';

const markers = (wasm: Uint8Array<ArrayBuffer>) =>
  WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name).filter((n) => n.startsWith('proxy_abi_version_'));

describe('build targets', () => {
  it('marks the default build for Higress (0.2.100)', async () => {
    assert.deepEqual(markers(await buildPlugin('basic')), ['proxy_abi_version_0_2_100']);
  });

  it("marks abi '0.2.1' builds for plain Envoy, and a header StopIteration becomes stop-all there", async () => {
    const wasm = await buildPlugin('basic', '0.2.1');
    assert.deepEqual(markers(wasm), ['proxy_abi_version_0_2_1']);
    const p = await loadPlugin(wasm, { config: { name: 's', mode: 'stop' } });
    const s = p.stream();
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test' });
    assert.equal(r.status, 4);
    s.end();
    p.close();
  });

  it('imports only env.proxy_* and wasi_snapshot_preview1.* functions and exports every proxy_on_* callback', async () => {
    for (const name of ['basic', 'bodies', 'features']) {
      const mod = new WebAssembly.Module(await buildPlugin(name));
      for (const i of WebAssembly.Module.imports(mod)) {
        assert.ok((i.module === 'env' && i.name.startsWith('proxy_')) || i.module === 'wasi_snapshot_preview1', `${name} imports ${i.module}.${i.name}`);
        assert.equal(i.kind, 'function');
      }
      const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
      for (const e of ['_initialize', 'memory', 'proxy_on_memory_allocate', 'proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_configure',
        'proxy_on_tick', 'proxy_on_queue_ready', 'proxy_on_request_headers', 'proxy_on_request_body', 'proxy_on_request_trailers',
        'proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_response_trailers', 'proxy_on_log', 'proxy_on_done', 'proxy_on_delete',
        'proxy_on_http_call_response', 'proxy_on_redis_call_response', 'proxy_on_grpc_receive', 'proxy_on_grpc_close', 'proxy_on_foreign_function',
        'proxy_on_new_connection', 'proxy_on_downstream_data', 'proxy_on_upstream_data']) {
        assert.ok(exports.includes(e), `${name} lacks ${e}`);
      }
    }
  });

  it('imports the Redis hostcalls only when the plugin makes a RedisClient (plain Envoy has none)', async () => {
    const redisImports = async (entry: string, abi: '0.2.100' | '0.2.1') =>
      WebAssembly.Module.imports(new WebAssembly.Module(await buildPlugin(entry, abi))).map((i) => i.name).filter((n) => n.startsWith('proxy_redis_'));
    // auth-callout makes HTTP callouts (ClusterClient) but no Redis calls.
    assert.deepEqual(await redisImports('examples/as/auth-callout/assembly/index.ts', '0.2.1'), []);
    assert.deepEqual(await redisImports('basic', '0.2.100'), []);
    assert.deepEqual((await redisImports('features', '0.2.100')).sort(), ['proxy_redis_call', 'proxy_redis_init']);
  });

  it('routes abort to a critical proxy_log line and a trap (no env.abort)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sdk-'));
    try {
      const entry = join(dir, 'index.ts');
      writeFileSync(entry, [
        'export * from "@wasmgate/sdk/assembly/exports";',
        'import { Action, HttpContext, setCtx } from "@wasmgate/sdk";',
        'class C {}',
        'setCtx<C>("boom", { onRequestHeaders: (ctx: HttpContext, c: C): Action => { assert(false, "kaboom"); return Action.Continue; } });',
      ].join('\n'));
      const r = await buildAssemblyScript({ entry, outFile: join(dir, 'build', 'plugin.wasm'), debug: true });
      assert.ok(r.ok, r.diagnostics);
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'build', 'plugin.wasm'))), r.binary);
      assert.deepEqual(r.flags, buildFlags('0.2.100', true));
      const p = await loadPlugin(r.binary!, { name: 'boom', failStrategy: 'FAIL_CLOSE' });
      const s = p.stream();
      const step = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test' }, { endStream: true });
      assert.ok(step.error);
      assert.ok(p.logsAt('critical').some((m) => /^abort: kaboom at .*index\.ts:4:\d+$/.test(m)), JSON.stringify(p.logsAt('critical')));
      p.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports compile errors with file:line:col and never throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sdk-'));
    try {
      const entry = join(dir, 'index.ts');
      writeFileSync(entry, 'export * from "@wasmgate/sdk/assembly/exports";\nconst x: i32 = "nope";\n');
      const r = await buildAssemblyScript({ entry });
      assert.equal(r.ok, false);
      assert.equal(r.binary, undefined);
      assert.match(r.diagnostics, /index\.ts\(2,16\)/);
      const missing = await buildAssemblyScript({ entry: join(dir, 'missing.ts') });
      assert.equal(missing.ok, false);
      assert.match(missing.diagnostics, /cannot read the entry file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ignores a project's asconfig.json: its release target and entries do not change the build", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sdk-asconfig-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{"name":"p","version":"1.0.0"}');
      // What asc would apply on its own: -O3 over --debug, and the 0.2.100 marker as an extra entry.
      writeFileSync(join(dir, 'asconfig.json'), JSON.stringify({
        entries: ['index.ts', 'node_modules/@wasmgate/sdk/assembly/abi/marker-0_2_100.ts'],
        targets: { release: { optimizeLevel: 3, shrinkLevel: 0 } },
      }));
      const entry = join(dir, 'index.ts');
      writeFileSync(entry, readFileSync(join(SDK_ROOT, 'test', 'plugins', 'basic', 'index.ts'), 'utf8'));
      const envoy = await buildAssemblyScript({ entry, abi: '0.2.1' });
      assert.ok(envoy.ok, envoy.diagnostics);
      assert.deepEqual(markers(new Uint8Array(envoy.binary!)), ['proxy_abi_version_0_2_1']);
      assert.match(envoy.diagnostics, /asconfig\.json is not read/);
      const debug = await buildAssemblyScript({ entry, debug: true });
      const release = await buildAssemblyScript({ entry });
      assert.ok(debug.ok && release.ok);
      assert.ok(debug.binary!.length > release.binary!.length * 1.5,
        `a debug build stays unoptimised (${debug.binary!.length} vs -O3 ${release.binary!.length} bytes)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves the SDK from its own package whatever the working directory', () => {
    assert.ok(readFileSync(join(SDK_ROOT, 'assembly', 'exports.ts'), 'utf8').includes('proxy_on_configure'));
  });
});
