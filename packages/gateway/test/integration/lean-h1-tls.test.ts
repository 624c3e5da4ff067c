/**
 * HTTP/1.1 on the TLS listener goes through the lean HTTP/1 server too (by ALPN `http/1.1`, or
 * without ALPN), handing what it does not take to node:http2's HTTP/1 handling: the same bytes as
 * node's (a second gateway with WASMGATE_HTTP1=node, node:http2's keep-alive of 5 s included), the
 * scheme the exchange sees is https, and pipelined requests reach the upstream one at a time (the
 * lean server's way; node:http dispatches them together), which shows the lean path is the one taken.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import {
  Cleanup, REPO_ROOT, gatewaySpec, ingress, service, startGateway, startUpstream, type Manifest, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const TLS_DIR = `${REPO_ROOT}packages/gateway/test/fixtures/tls`;
const b64 = (f: string) => readFileSync(`${TLS_DIR}/${f}`).toString('base64');

function docs(upstreamPort: number): Manifest[] {
  return [
    gatewaySpec({ listenTls: '127.0.0.1:0' }),
    service('backend', [`127.0.0.1:${upstreamPort}`]),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('self-signed.crt'), 'tls.key': b64('self-signed.key') } },
    { ...ingress('all', 'backend'), spec: { tls: [{ secretName: 'cert' }], defaultBackend: { service: { name: 'backend', port: { number: 80 } } } } },
  ];
}

/** Writes `bytes` on a new TLS connection and returns all it reads until the gateway closes it. */
function overTls(port: number, bytes: string, alpn: string[] | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) }, () => s.write(bytes, 'latin1'));
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => { got += c; });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

const masked = (r: string) => r.replace(/^Date: .*$/gm, 'Date: <masked>').replace(/^date: .*$/gm, 'date: <masked>');

describe('lean HTTP/1 server on the TLS listener', () => {
  const bag = new Cleanup();
  let up: Upstream;
  let lean: TestGateway;
  let node: TestGateway;
  /** For /slow and /fast: when each arrived and when /slow was answered. */
  const events: string[] = [];
  before(async () => {
    up = await startUpstream(bag, (seen, res) => {
      if (seen.url === '/slow') {
        events.push('slow arrived');
        setTimeout(() => { events.push('slow answered'); res.writeHead(200, { 'content-length': '4' }).end('slow'); }, 150);
      } else if (seen.url === '/fast') {
        events.push('fast arrived');
        res.writeHead(200, { 'content-length': '4' }).end('fast');
      } else if (seen.url === '/chunk') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('abc');
      } else res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(seen.headers['x-forwarded-proto']?.length ?? 0) }).end(seen.headers['x-forwarded-proto'] ?? '');
    });
    lean = await startGateway(bag, docs(up.port));
    const saved = process.env.WASMGATE_HTTP1;
    process.env.WASMGATE_HTTP1 = 'node';
    try {
      node = await startGateway(bag, docs(up.port));
    } finally {
      if (saved === undefined) delete process.env.WASMGATE_HTTP1;
      else process.env.WASMGATE_HTTP1 = saved;
    }
  });
  after(() => bag.run());

  for (const alpn of [['http/1.1'], undefined]) {
    test(`the same bytes as node:http2's HTTP/1 (${alpn ? 'ALPN http/1.1' : 'no ALPN'}), and the exchange sees https`, async () => {
      const requests = [
        'GET /proto HTTP/1.1\r\nHost: t\r\n\r\nHEAD /proto HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
        'GET /chunk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
        'GET /proto HTTP/1.0\r\nHost: t\r\n\r\n',
        // Malformed behind an answered request: the answer, then the close (no 400), as node:http2.
        'GET /proto HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nBad Header: y\r\n\r\n',
      ];
      for (const r of requests) {
        const a = masked(await overTls(lean.gateway.tlsAddress!.port, r, alpn));
        const b = masked(await overTls(node.gateway.tlsAddress!.port, r, alpn));
        assert.equal(a, b, `request ${JSON.stringify(r)}`);
      }
      const first = await overTls(lean.gateway.tlsAddress!.port, requests[0]!, alpn);
      assert.match(first, /^HTTP\/1\.1 200 OK\r\n[^]*Keep-Alive: timeout=5\r\n\r\nhttps/);
      // As on the plain listener (issue 9): the request answered, then the connection closed, no 400.
      const malformed = await overTls(lean.gateway.tlsAddress!.port, requests[3]!, alpn);
      assert.match(malformed, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhttps$/);
    });
  }

  test('pipelined requests reach the upstream one at a time through the lean server (together through node:http)', async () => {
    const pipelined = 'GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';
    events.length = 0;
    const a = await overTls(lean.gateway.tlsAddress!.port, pipelined, ['http/1.1']);
    assert.deepEqual(events, ['slow arrived', 'slow answered', 'fast arrived']);
    assert.ok(a.indexOf('slow') < a.indexOf('fast'), a);
    events.length = 0;
    const b = await overTls(node.gateway.tlsAddress!.port, pipelined, ['http/1.1']);
    assert.deepEqual(events, ['slow arrived', 'fast arrived', 'slow answered']);
    assert.equal(masked(a), masked(b));
  });
});
