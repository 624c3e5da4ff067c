/**
 * Issue 9: the request target and Host, over raw sockets. An absolute-form target
 * (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2) routes by its path and its authority replaces
 * Host, so route-scoped plugins apply to it as to the origin form; HTTP/1.1 without Host, or with two,
 * is a 400 (RFC 9112 §3.2); HTTP/1.0 without Host is served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  Cleanup, REPO_ROOT, fixture, ingress, service, startGateway, startUpstream, wasmPlugin, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

/** Writes `bytes` on a fresh connection and returns everything read until the gateway closes it. */
function raw(port: number, bytes: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(got)}`)); }, timeoutMs);
    s.setEncoding('latin1').on('data', (c: string) => { got += c; });
    s.on('close', () => { clearTimeout(timer); resolve(got); });
    s.on('error', () => {});
    s.write(bytes);
  });
}

const body = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);
const statusOf = (response: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1]);

describe('issue 9: absolute-form targets route by their path (examples/mock-response)', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(bag, { paths: [join(REPO_ROOT, 'examples', 'mock-response')] });
  });
  after(() => bag.run());

  test('GET http://127.0.0.1/foo answers as route default/foo', async () => {
    const r = await raw(gw.port, 'GET http://127.0.0.1/foo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(r), 200);
    assert.equal(body(r), 'hello foo');
  });

  test('a query without a path, and the authority replacing Host', async () => {
    const q = await raw(gw.port, 'GET http://127.0.0.1/foo/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(body(q), 'hello foo');
    // The Host header says plain.test; the target's authority (www.test.com) is what counts.
    const d = await raw(gw.port, 'GET http://www.test.com?x=1 HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(d), 200);
    assert.equal(body(d), 'hello world');
  });
});

describe('issue 9: an absolute-form target cannot bypass a route-scoped plugin', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('admin', 'backend', { path: '/admin' }),
      ingress('open', 'backend', { path: '/' }),
      // An auth-like guard: it answers every request of route default/admin itself.
      wasmPlugin('guard', fixture('go/mock-response/plugin.wasm'), { defaultConfig: { content: 'denied' }, wasmgate: { scope: { routes: ['default/admin'] } } }),
    ]);
  });
  after(() => bag.run());

  test('GET http://127.0.0.1/admin/x meets the guard; nothing reaches the upstream', async () => {
    const before = up.requests.length;
    for (const target of ['http://127.0.0.1/admin/x', 'HTTP://127.0.0.1:80/admin', 'http://user@127.0.0.1/admin?a=1']) {
      const r = await raw(gw.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.equal(body(r), 'denied', target);
    }
    assert.equal(up.requests.length, before);
  });

  test('the upstream gets the origin form and the target\'s authority as Host', async () => {
    const r = await raw(gw.port, 'GET http://shop.test:8080/open/page?q=1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(r), 200);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.url, '/open/page?q=1');
    assert.equal(seen.headers.host, 'shop.test:8080');
  });
});

describe('issue 9: Host is required once on HTTP/1.1', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    gw = await startGateway(bag, [service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend')]);
  });
  after(() => bag.run());

  test('HTTP/1.1 without Host → 400 WG_PROXY_BAD_REQUEST, connection closed', async () => {
    const before = up.requests.length;
    const r = await raw(gw.port, 'GET /x HTTP/1.1\r\n\r\n');
    assert.equal(statusOf(r), 400);
    assert.match(r, /x-wasmgate-error: WG_PROXY_BAD_REQUEST/i);
    assert.match(r, /connection: close/i);
    assert.equal(up.requests.length, before);
  });

  test('two Host headers → 400 (even when they agree, and on HTTP/1.0)', async () => {
    for (const version of ['1.1', '1.0']) {
      const r = await raw(gw.port, `GET /x HTTP/${version}\r\nHost: a.test\r\nHost: a.test\r\n\r\n`);
      assert.equal(statusOf(r), 400, version);
      assert.match(r, /x-wasmgate-error: WG_PROXY_BAD_REQUEST/i);
    }
  });

  test('HTTP/1.0 without Host is served (empty authority: the catch-all rules)', async () => {
    const r = await raw(gw.port, 'GET /x HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(r), 200);
    assert.equal(body(r), 'upstream ok');
  });
});
