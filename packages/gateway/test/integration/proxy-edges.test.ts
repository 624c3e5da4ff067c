/**
 * HTTP edge cases of the proxy path over real sockets: HEAD/204/304 without bodies, trailers both
 * ways, repeated headers, hop-by-hop headers, clients and upstreams that go away midway (including
 * during a paused callout), and keep-alive reuse after local replies. After each, the gateway has
 * no exchange left in flight.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Cleanup, KITCHEN_SINK, ingress, linesWith, listenServer, poll, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

describe('proxy edge cases', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag, (seen, res) => {
      switch (seen.url) {
        case '/204': return void res.writeHead(204).end();
        case '/304': return void res.writeHead(304, { etag: '"x"' }).end();
        case '/head': return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' }).end(seen.method === 'HEAD' ? undefined : 'upstream ok');
        case '/trailers':
          res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
          res.write('part1 ');
          res.addTrailers({ 'x-checksum': 'abc123' });
          return void res.end('part2');
        case '/cookies': return void res.writeHead(200, [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-multi', 'one'], ['x-multi', 'two']].flat()).end('c');
        case '/reset':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          return void setTimeout(() => res.socket?.destroy(), 20);
        default: res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok');
      }
    });
    const slowCallout = await listenServer(bag, http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('late'), 200);
    }));
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('slow', [`127.0.0.1:${slowCallout.port}`]),
      ingress('all', 'backend'),
      ingress('local', 'backend', { host: 'local.test' }),
      wasmPlugin('ks', KITCHEN_SINK, { defaultConfig: { calloutCluster: 'outbound|80||slow.default.svc.cluster.local' }, wasmgate: { scope: { routes: ['default/all'] } } }),
      // Without calloutCluster, callout mode answers locally (500).
      wasmPlugin('ks-local', KITCHEN_SINK, { wasmgate: { scope: { routes: ['default/local'] } } }),
    ]);
  });
  after(() => bag.run());

  const drained = () => poll('no exchange in flight', async () => ((await gw.gateway.inFlight()) === 0 ? true : undefined), 3000);

  test('HEAD, 204 and 304 end without a body (also through resp-body-append)', async () => {
    const head = await send(gw.port, { method: 'HEAD', path: '/head' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const appended = await send(gw.port, { method: 'HEAD', path: '/head', headers: { 'x-fixture-mode': 'resp-body-append' } });
    assert.equal(appended.status, 200);
    assert.equal(appended.body, '');
    assert.equal((await send(gw.port, { path: '/204' })).status, 204);
    const notModified = await send(gw.port, { path: '/304' });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.etag, '"x"');
    await drained();
  });

  test('response trailers reach the client; request trailers reach the upstream', async () => {
    const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gw.port, path: '/trailers', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; });
        res.on('end', () => { assert.equal(body, 'part1 part2'); resolve(res.trailers); });
      }).on('error', reject);
    });
    assert.equal(trailers['x-checksum'], 'abc123');

    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/req-trailers', agent: false, headers: { 'transfer-encoding': 'chunked', trailer: 'x-sum' } }, (res) => { res.resume(); res.on('end', resolve); });
      req.on('error', reject);
      req.write('body');
      req.addTrailers({ 'x-sum': '42' });
      req.end();
    });
    const seen = up.requests.at(-1)!;
    assert.equal(seen.url, '/req-trailers');
    assert.equal(seen.body.toString(), 'body');
    assert.equal(seen.trailers['x-sum'], '42');
    await drained();
  });

  test('repeated response headers stay separate; hop-by-hop request headers are not forwarded', async () => {
    const r = await send(gw.port, { path: '/cookies' });
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['x-multi'], 'one, two');
    await send(gw.port, { path: '/hop', headers: { connection: 'keep-alive, x-private', 'keep-alive': 'timeout=5', 'x-private': 'secret', te: 'trailers', 'x-keep': '1' } });
    const seen = up.requests.at(-1)!;
    assert.equal(seen.headers['x-keep'], '1');
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(seen.headers['x-private'], undefined, 'a header named in Connection is hop-by-hop too (RFC 9110 §7.6.1)');
    assert.ok(seen.headers['x-request-id'], 'the gateway adds x-request-id');
  });

  test('an upstream that resets mid-body resets the client; the gateway keeps serving', async () => {
    const started = Date.now();
    await assert.rejects(send(gw.port, { path: '/reset', timeoutMs: 5000 }), (e: Error) => !e.message.startsWith('no answer'));
    assert.ok(Date.now() - started < 2000, 'the client was reset at once, not left waiting');
    assert.equal((await send(gw.port, { path: '/after-reset' })).status, 200);
    await drained();
  });

  test('a client that leaves during a paused callout: the late answer is dropped, nothing leaks', async () => {
    const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/leave', agent: false, headers: { 'x-fixture-mode': 'callout' } });
    req.on('error', () => undefined);
    await poll('the callout to start', async () => (linesWith(gw.logs, 'kitchen-sink: callout').length > 0 ? true : undefined), 2000);
    req.destroy();
    await poll('the late callout answer', async () => (linesWith(gw.logs, 'answered after its request ended').length > 0 ? true : undefined), 3000);
    await drained();
    assert.ok(!up.requests.some((s) => s.url === '/leave'), 'the abandoned request never went upstream');
    assert.equal((await send(gw.port, { path: '/after-leave', headers: { 'x-fixture-mode': 'properties' } })).headers['x-prop-plugin-name'], 'default/ks');
  });

  test('keep-alive: local replies (also to a POST whose body was not read) and upstream answers share one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      const steps: [string, string, string | undefined, number][] = [
        // [host, mode, body, expected status]
        ['any.test', '', undefined, 200],
        ['local.test', 'callout', undefined, 500],
        ['any.test', 'callout', undefined, 200],
        ['local.test', 'callout', 'b'.repeat(200_000), 500],
        ['any.test', 'shared-counter', 'small', 200],
      ];
      for (const [host, mode, body, want] of steps) {
        const r = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: gw.port, method: body ? 'POST' : 'GET', path: '/ka', agent, headers: { host, ...(mode ? { 'x-fixture-mode': mode } : {}) } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
          req.end(body);
        });
        assert.equal(r, want, `${host} ${mode}`);
      }
      assert.equal(sockets.size, 1, 'one client connection for every step');
    } finally {
      agent.destroy();
    }
    await drained();
  });
});
