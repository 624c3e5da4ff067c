/**
 * Issue 9: a malformed request after a good one on the same connection must not take the good one's
 * answer. `GET /a` with `Connection: close` followed by garbage, or `GET /a` pipelined with a
 * malformed second request: the client reads the answer to /a first (the connection then closes,
 * with no 400 in place of it). Garbage alone still gets the 400.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Cleanup, ingress, service, startGateway, startUpstream, type TestGateway } from '../helpers/gateway.js';

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

describe('issue 9: a 400 for a bad second request does not replace the first answer', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    // The upstream takes a moment, so the first response is still pending when the garbage is parsed.
    const up = await startUpstream(bag, (seen, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`answer ${seen.url}`), 80);
    });
    gw = await startGateway(bag, [service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend')]);
  });
  after(() => bag.run());

  const first = (r: string) => /^HTTP\/1\.1 (\d{3})/.exec(r)?.[1];

  test('GET /a with Connection: close, then garbage: the client gets the answer to /a', async () => {
    const r = await raw(gw.port, 'GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nthis is not http\r\n\r\n');
    assert.equal(first(r), '200', r);
    assert.match(r, /answer \/a/);
    assert.doesNotMatch(r, /400 Bad Request/);
  });

  test('two pipelined requests, the second malformed: the answer to /a, then the connection closes', async () => {
    const r = await raw(gw.port, 'GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n');
    assert.equal(first(r), '200', r);
    assert.match(r, /answer \/a/);
    assert.doesNotMatch(r, /answer \/b/);
    assert.doesNotMatch(r, /400 Bad Request/);
  });

  test('three pipelined, the third malformed: both good answers, in order', async () => {
    const r = await raw(gw.port, 'GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n\x01\x02garbage\r\n\r\n');
    assert.equal(first(r), '200', r);
    const a = r.indexOf('answer /a');
    const b = r.indexOf('answer /b');
    assert.ok(a > 0 && b > a, r);
  });

  test('garbage alone still gets 400', async () => {
    const r = await raw(gw.port, 'this is not http\r\n\r\n');
    assert.equal(first(r), '400');
  });
});
