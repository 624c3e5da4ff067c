/**
 * Issue 9: an upstream that answers with bytes that are not HTTP is a protocol error — 502
 * WG_PROXY_UPSTREAM_PROTOCOL (Envoy's UPE) — not WG_PROXY_UPSTREAM_UNREACHABLE. Both upstream
 * clients: undici (requests without a body) and node:http (requests with one).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Cleanup, ingress, send, service, startGateway, type TestGateway } from '../helpers/gateway.js';

describe('issue 9: a garbage upstream response', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    // Reads the request head, answers with something that is not an HTTP response, and closes.
    const garbage = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http at all\r\n'));
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    bag.after(() => new Promise<void>((r) => garbage.close(() => r())));
    const port = (garbage.address() as AddressInfo).port;
    gw = await startGateway(bag, [service('backend', [`127.0.0.1:${port}`]), ingress('all', 'backend')]);
  });
  after(() => bag.run());

  test('GET (undici) → 502 WG_PROXY_UPSTREAM_PROTOCOL', async () => {
    const r = await send(gw.port, { path: '/x' });
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_PROTOCOL');
  });

  test('POST with a body (node:http) → 502 WG_PROXY_UPSTREAM_PROTOCOL', async () => {
    const r = await send(gw.port, { method: 'POST', path: '/x', body: 'payload' });
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_PROTOCOL');
  });

  test('the access log records the protocol error', async () => {
    await gw.gateway.settle();
    const entries = gw.access.filter((e) => JSON.stringify(e).includes('WG_PROXY_UPSTREAM_PROTOCOL') || JSON.stringify(e).includes('protocol_error'));
    assert.ok(entries.length >= 1, JSON.stringify(gw.access.slice(-2)));
  });
});
