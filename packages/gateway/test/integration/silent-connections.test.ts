/**
 * Connections that never send a byte. The plain listener sniffs the first bytes (h2c by prior
 * knowledge or HTTP/1), so until then a connection belongs to neither node:http server and their
 * closeIdleConnections/closeAllConnections do not see it. A TCP health check (connect, close) used to
 * leave a half-open socket for the 60 s sniff timeout, and any such socket held up shutdown for the
 * whole drain (10 s by default) plus the worker's grace period.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { Cleanup, gatewaySpec, ingress, send, service, startGateway, startUpstream } from '../helpers/gateway.js';

describe('connections that never send a byte', () => {
  test('a TCP health check (connect, then close its side) is closed by the gateway at once', { timeout: 30_000 }, async (t) => {
    const bag = new Cleanup();
    t.after(() => bag.run());
    const upstream = await startUpstream(bag);
    const gw = await startGateway(bag, [service('up', [`127.0.0.1:${upstream.port}`]), ingress('all', 'up')]);
    const probe = net.connect(gw.port, '127.0.0.1');
    await once(probe, 'connect');
    const closed = once(probe, 'close');
    probe.end();
    // The client half-closed; only the gateway closing its side ends the socket (before the fix:
    // after the 60 s sniff timeout, past this test's 30 s timeout).
    await closed;
    // The listener still serves.
    assert.equal((await send(gw.port, { path: '/' })).status, 200);
  });

  test('a connection that stays silent does not hold up shutdown for the drain timeout', { timeout: 60_000 }, async (t) => {
    const bag = new Cleanup();
    t.after(() => bag.run());
    const upstream = await startUpstream(bag);
    // A drain far longer than this test's timeout: close() must not wait for it.
    const gw = await startGateway(bag, [gatewaySpec({ drainTimeoutMs: 600_000 }), service('up', [`127.0.0.1:${upstream.port}`]), ingress('all', 'up')]);
    assert.equal((await send(gw.port, { path: '/' })).status, 200);
    const silent = net.connect(gw.port, '127.0.0.1');
    silent.on('error', () => {});
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');
    await gw.gateway.close();
    await silentClosed;
  });
});
