/**
 * Plugin failures seen from a client, beyond kitchen-sink's trap: each way a VM can fail on a
 * request (WAT trap, AssemblyScript abort with and without env.abort, proc_exit) reaches the client
 * as 503 with its WG_VM_* code under FAIL_CLOSE; a plugin that fails at load stops the gateway from
 * starting under FAIL_CLOSE and is skipped (and reported) under FAIL_OPEN.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmgateError } from '@wasmgate/host';
import {
  Cleanup, fixture, ingress, linesWith, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

/** [fixture, x-wasmgate-error, a log line the failure must leave] */
const FAILING: [string, string, string][] = [
  ['wat/trap.wasm', 'WG_VM_TRAP', 'trap: about to execute unreachable'],
  ['wat/as-abort.wasm', 'WG_VM_ABORT', 'as-abort: bad input → abort'],
  ['as/abort-routed.wasm', 'WG_VM_TRAP', 'abort: abort-routed: request rejected at fixtures/as/abort-routed/index.ts:14:5'],
  ['wat/proc-exit.wasm', 'WG_VM_ABORT', 'proc-exit: calling proc_exit(3)'],
];
const nameOf = (f: string) => f.replace(/^.*\//, '').replace(/\.wasm$/, '');

describe('VM failures on a request, FAIL_CLOSE', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ...FAILING.map(([f]) => ingress(nameOf(f), 'backend', { host: `${nameOf(f)}.test` })),
      ingress('clean', 'backend', { host: 'clean.test' }),
      ...FAILING.map(([f]) => wasmPlugin(nameOf(f), fixture(f), { wasmgate: { scope: { routes: [`default/${nameOf(f)}`] } } })),
    ]);
  });
  after(() => bag.run());

  for (const [file, code, line] of FAILING) {
    test(`${file}: 503 with x-wasmgate-error ${code}; the log explains it`, async () => {
      const before = up.requests.length;
      const r = await send(gw.port, { path: '/', headers: { host: `${nameOf(file)}.test` } });
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers['x-wasmgate-error'], code);
      assert.equal(r.body, `plugin default/${nameOf(file)} failed\n`);
      assert.equal(up.requests.length, before);
      await gw.gateway.settle();
      assert.ok(linesWith(gw.logs, line).length > 0, `no log line "${line}":\n${gw.logs.slice(-10).join('\n')}`);
      await gw.gateway.settle();
      assert.ok(linesWith(gw.logs, `plugin default/${nameOf(file)} failed`).length > 0);
    });
  }

  test('routes without those plugins are unaffected', async () => {
    const r = await send(gw.port, { path: '/', headers: { host: 'clean.test' } });
    assert.equal(r.status, 200);
  });
});

describe('a plugin that fails at load', () => {
  const reject = (config: string) => [
    service('backend', ['127.0.0.1:1']),
    ingress('all', 'backend'),
    wasmPlugin('picky', fixture('wat/configure-reject.wasm'), { defaultConfig: { config } }),
  ];

  test('FAIL_CLOSE: the gateway does not start, and says why with the plugin\'s own log line', async (t) => {
    await assert.rejects(startGateway(t, reject('x')), (e: unknown) => {
      assert.ok(e instanceof WasmgateError, String(e));
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details.some((d) => d.includes('configure-reject: rejecting configuration "{"config":"x"}"')), e.details.join('\n'));
      return true;
    });
  });

  test('FAIL_OPEN: the gateway starts without it, serves traffic and lists it as skipped', async (t) => {
    const up = await startUpstream(t);
    const docs = reject('x').map((d) => (d.kind === 'Service' ? service('backend', [`127.0.0.1:${up.port}`]) : d));
    const plugin = docs.find((d) => d.kind === 'WasmPlugin')!;
    (plugin.spec as Record<string, unknown>).failStrategy = 'FAIL_OPEN';
    const gw = await startGateway(t, docs);
    const r = await send(gw.port, { path: '/' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream ok');
    const dump = JSON.parse((await gw.admin('/config_dump')).body) as { skippedPlugins?: { key: string; code: string }[] };
    assert.deepEqual(dump.skippedPlugins?.map((p) => [p.key, p.code]), [['default/picky', 'WG_PLUGIN_CONFIGURE_REJECTED']]);
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'plugin default/picky skipped (FAIL_OPEN)').length > 0);
  });
});
