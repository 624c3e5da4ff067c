/**
 * Issue 9: what the gateway does to a client's request headers at the edge (Gateway `edge`, after
 * Envoy's use_remote_address / xff_num_trusted_hops / preserve_external_request_id): by default the
 * client address is appended to X-Forwarded-For, X-Forwarded-Proto is the connection's scheme,
 * client-sent x-envoy-* headers are dropped and a client's x-request-id is kept; each is configurable.
 * Requests are written as raw bytes, so nothing but the test decides the headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Cleanup, gatewaySpec, ingress, service, startGateway, startUpstream, type Manifest, type TestGateway, type Upstream } from '../helpers/gateway.js';

function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no close; got ${JSON.stringify(got)}`)); }, 5000);
    s.setEncoding('latin1').on('data', (c: string) => { got += c; });
    s.on('close', () => { clearTimeout(timer); resolve(got); });
    s.write(bytes);
  });
}

const REQUEST = 'GET /e HTTP/1.1\r\nHost: edge.test\r\nConnection: close\r\n'
  + 'X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Request-Id: client-id-1\r\n'
  + 'X-Envoy-Upstream-Rq-Timeout-Ms: 1\r\nx-envoy-original-path: /secret\r\n\r\n';

async function setup(bag: Cleanup, edge: Record<string, unknown> | undefined): Promise<{ gw: TestGateway; up: Upstream }> {
  const up = await startUpstream(bag);
  const docs: Manifest[] = [service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend')];
  if (edge) docs.push(gatewaySpec({ edge }));
  return { gw: await startGateway(bag, docs), up };
}

describe('issue 9: edge headers, defaults', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => ({ gw, up } = await setup(bag, undefined)));
  after(() => bag.run());

  test('XFF appended, XFP overwritten, x-envoy-* dropped, x-request-id kept', async () => {
    assert.match(await raw(gw.port, REQUEST), /^HTTP\/1\.1 200/);
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.7,127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-request-id'], 'client-id-1');
    assert.equal(h['x-envoy-upstream-rq-timeout-ms'], undefined);
    assert.equal(h['x-envoy-original-path'], undefined);
  });

  test('without client headers: XFF is the client, XFP http, a new x-request-id', async () => {
    await raw(gw.port, 'GET /e HTTP/1.1\r\nHost: edge.test\r\nConnection: close\r\n\r\n');
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('issue 9: edge headers, configured the other way', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => ({ gw, up } = await setup(bag, { useRemoteAddress: false, xffNumTrustedHops: 1, preserveRequestId: false, stripEnvoyHeaders: false })));
  after(() => bag.run());

  test('XFF and XFP as sent, x-envoy-* kept, x-request-id regenerated', async () => {
    assert.match(await raw(gw.port, REQUEST), /^HTTP\/1\.1 200/);
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.7');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.notEqual(h['x-request-id'], 'client-id-1');
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(h['x-envoy-original-path'], '/secret');
  });
});
