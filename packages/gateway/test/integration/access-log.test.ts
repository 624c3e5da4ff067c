/**
 * The JSON-lines access log: one entry per request with route, status and request id, plus the
 * Higress attributes a plugin stored with set_property (custom_log), as Higress's
 * %FILTER_STATE(wasm.custom_log:PLAIN)% emits them. Uses fixtures/wat/custom-log.wasm.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cleanup, fixture, ingress, poll, send, service, startGateway, startUpstream, wasmPlugin, type TestGateway } from '../helpers/gateway.js';

describe('access log', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    const up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('all', 'backend'),
      wasmPlugin('custom-log', fixture('wat/custom-log.wasm')),
    ]);
  });
  after(() => bag.run());

  test('an entry per request carries the plugin-set custom_log object, route, status and request id', async () => {
    const r = await send(gw.port, { path: '/hello?x=1', headers: { host: 'shop.test', 'x-request-id': 'req-42' } });
    assert.equal(r.status, 200);
    await gw.gateway.settle();
    const entry = await poll('access log entry', async () => gw.access.find((e) => e.requestId === 'req-42'));
    assert.deepEqual(entry.custom_log, { user: 'alice', plan: 'gold' });
    assert.equal(entry.route, 'default/all');
    assert.equal(entry.status, 200);
    assert.equal(entry.path, '/hello?x=1');
    assert.equal(entry.authority, 'shop.test');
    assert.equal(entry.details, 'via_upstream');
  });
});
