// examples/as/headers-bench (written with the SDK) against the Go fixture it re-implements
// (fixtures/go/headers-bench) and the in-repo AS fixture: what the upstream and the client see, the
// local reply and the log lines are the same, on success and on a get that reads another value.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { REPO_ROOT } from './build-plugin.js';
import { assertOnlyProxyWasmImports, buildExample } from './examples-support.js';

const REQUEST: [string, string][] = [
  [':method', 'GET'], [':path', '/bench'], [':authority', 'bench.local'], [':scheme', 'http'],
  ['user-agent', 'wasmgate-bench'], ['accept', '*/*'],
];

describe('examples/as/headers-bench behaves like fixtures/go/headers-bench', () => {
  const plugins: Record<'go' | 'as' | 'sdk', TestPlugin> = {} as never;
  before(async () => {
    plugins.go = await loadPlugin(join(REPO_ROOT, 'fixtures/go/headers-bench/plugin.wasm'), { name: 'headers-bench' });
    plugins.as = await loadPlugin(join(REPO_ROOT, 'fixtures/as/headers-bench.wasm'), { name: 'headers-bench' });
    plugins.sdk = await loadPlugin(await buildExample('headers-bench'), { name: 'headers-bench' });
  });
  after(() => { for (const p of Object.values(plugins)) p.close(); });

  const run = (plugin: TestPlugin, extra: [string, string][]) => {
    const s = plugin.stream();
    const r = s.requestHeaders([...REQUEST, ...extra], { endStream: true });
    if (r.action === 'continue') s.respond(200, { headers: { 'content-type': 'text/plain' }, body: 'upstream ok' });
    const out = {
      action: r.action,
      upstream: s.upstream.headers?.ordered() ?? null,
      aborted: s.upstream.aborted,
      status: s.downstream.status,
      headers: s.downstream.headers?.ordered() ?? [],
      body: s.downstream.body,
      details: s.localReply?.details ?? null,
      logs: s.logs.filter((l) => l.source === 'proxy_log').map((l) => `${l.level} ${l.message}`),
    };
    s.end();
    return out;
  };

  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('headers-bench'));
  });

  it('success: the upstream gets the request exactly as sent, nothing is logged', () => {
    const want = run(plugins.go, []);
    assert.equal(want.action, 'continue');
    assert.deepEqual(want.upstream, REQUEST);
    assert.deepEqual(want.logs, []);
    assert.deepEqual(run(plugins.sdk, []), want);
    assert.deepEqual(run(plugins.as, []), want);
  });

  for (const [name, value, text] of [
    ['x-bench-3', 'evil', 'headers-bench: get x-bench-3: got "evil", want "value-3"'],
    ['x-bench-0', 'a"b\\c', 'headers-bench: get x-bench-0: got "a\\"b\\\\c", want "value-0"'],
  ] as const) {
    it(`a client-sent ${name}: ${value} makes the get read another value → 500 "${text}"`, () => {
      const want = run(plugins.go, [[name, value]]);
      assert.equal(want.status, 500);
      assert.equal(want.body, text);
      assert.equal(want.details, 'headers_bench_failed');
      assert.deepEqual(want.logs, [`error ${text}`]);
      assert.deepEqual(run(plugins.sdk, [[name, value]]), want);
    });
  }

  it('keeps doing it: 5,000 requests in one VM all continue, and its memory stays flat after warm-up', () => {
    for (let i = 0; i < 1_000; i++) assert.equal(run(plugins.sdk, []).action, 'continue');
    const warm = plugins.sdk.vm.memoryBytes();
    for (let i = 0; i < 4_000; i++) assert.equal(run(plugins.sdk, []).action, 'continue');
    assert.equal(plugins.sdk.vm.memoryBytes(), warm);
  });
});
