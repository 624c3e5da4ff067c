/**
 * Issue 9, item 4: HTTP/2 downstream on the plain listener (h2c by prior knowledge) next to HTTP/1.1
 * on the same port, through plugins: fixtures/go/kitchen-sink rewrites the request body and appends
 * to the response body; fixtures/wat/property-echo.wasm reads what plugins see (pseudo headers,
 * request.protocol). Request trailers reach the upstream. Over TLS, see issue-9-tls-sni.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import {
  Cleanup, KITCHEN_SINK, fixture, ingress, send, service, startGateway, startUpstream, wasmPlugin, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const run = promisify(execFile);
const ECHO = fixture('wat/property-echo.wasm');

describe('issue 9: h2c by prior knowledge on the plain listener', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream(bag, (seen, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`upstream saw ${seen.body.toString()}`);
    });
    gw = await startGateway(bag, [
      service('up', [`127.0.0.1:${upstream.port}`]), ingress('all', 'up'), wasmPlugin('ks', KITCHEN_SINK), wasmPlugin('echo', ECHO),
    ]);
  });
  after(() => bag.run());

  const curl = (args: string[]) => run('curl', ['-s', '--http2-prior-knowledge', ...args]).then((r) => r.stdout);

  test('curl --http2-prior-knowledge: the plugin upper-cases the request body and appends to the response', async () => {
    const up = await curl([`http://127.0.0.1:${gw.port}/u`, '-H', 'x-fixture-mode: body-upper', '--data-binary', 'hello world', '-w', '\n%{http_version}']);
    assert.equal(up, 'upstream saw HELLO WORLD\n2');
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/u');
    assert.equal(seen.body.toString(), 'HELLO WORLD');
    const app = await curl([`http://127.0.0.1:${gw.port}/a`, '-H', 'x-fixture-mode: resp-body-append', '-w', '\n%{http_version}']);
    assert.equal(app, 'upstream saw \n-- via kitchen-sink\n2');
  });

  test('plugins see the pseudo headers and request.protocol HTTP/2; HTTP/1.1 still works on the same port', async () => {
    const read = async (extra: string[], path: string) => {
      const out = await run('curl', ['-s', '-o', '/dev/null', '-D', '-', ...extra, `http://127.0.0.1:${gw.port}/p?x=1`, '-H', 'host: h.test', '-H', `x-prop-dotted: ${path}`]);
      const v = /^x-prop-dotted-value: =([0-9a-f]*)\r?$/mi.exec(out.stdout)?.[1];
      assert.ok(v !== undefined, out.stdout);
      return Buffer.from(v, 'hex').toString();
    };
    assert.equal(await read(['--http2-prior-knowledge'], 'request.protocol'), 'HTTP/2');
    assert.equal(await read(['--http2-prior-knowledge'], 'request.path'), '/p?x=1');
    assert.equal(await read(['--http2-prior-knowledge'], 'request.scheme'), 'http');
    assert.equal(await read(['--http2-prior-knowledge'], 'request.method'), 'GET');
    assert.equal(await read([], 'request.protocol'), 'HTTP/1.1');
    // Keep-alive HTTP/1.1: two requests on one connection.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await send(gw.port, { path: '/k', agent })).status, 200);
    } finally {
      agent.destroy();
    }
  });

  test('connections reset before or in the middle of the preface do not disturb the worker', async () => {
    for (const first of ['', 'PR', 'PRI * HTTP/2.0\r\n']) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(gw.port, '127.0.0.1', () => {
          if (first) sock.write(first);
          setTimeout(() => { sock.resetAndDestroy(); resolve(); }, 30);
        });
        sock.on('error', () => resolve());
      });
    }
    assert.equal((await send(gw.port, { path: '/after-reset' })).status, 200);
    assert.deepEqual(gw.logs.filter((l) => l.includes('WG_WORKER_CRASHED') || /worker \d+ (failed|exited)/.test(l)), []);
    assert.equal(await curl([`http://127.0.0.1:${gw.port}/after-reset`, '-o', '/dev/null', '-w', '%{http_code} %{http_version}']), '200 2');
  });

  test('node:http2 client: streamed request body with trailers reaches the upstream; several streams on one session', async () => {
    const client = http2.connect(`http://127.0.0.1:${gw.port}`);
    try {
      const one = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': path, ':authority': 'h.test' }, { waitForTrailers: true });
        let body = '';
        let status = 0;
        req.setEncoding('utf8');
        req.on('response', (h) => { status = Number(h[':status']); });
        req.on('data', (c: string) => { body += c; });
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.on('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'abc' }));
        req.write('part1-');
        setTimeout(() => req.end('part2'), 20);
      });
      const replies = await Promise.all([one('/s1'), one('/s2'), one('/s3')]);
      for (const r of replies) assert.deepEqual(r, { status: 200, body: 'upstream saw part1-part2' });
      const seen = upstream.requests.filter((r) => r.url.startsWith('/s'));
      assert.equal(seen.length, 3);
      for (const s of seen) assert.equal(s.trailers['x-checksum'], 'abc');
    } finally {
      client.close();
    }
  });
});
