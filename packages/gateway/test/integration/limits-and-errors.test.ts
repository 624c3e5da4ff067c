/**
 * What the gateway answers itself, over real sockets: body buffer limits (413 request side, 500
 * response side) from the Gateway manifest's spec.limits, upstream down (503), upstream timeout
 * (504, spec.upstreamTimeoutMs), and malformed HTTP (400 on that connection only).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { freePort } from '../helpers/daemon.js';
import {
  Cleanup, KITCHEN_SINK, fixture, gatewaySpec, ingress, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const REQUEST_LIMIT = 1024;
const RESPONSE_LIMIT = 2048;
const TIMEOUT_MS = 300;

describe('limits and errors the gateway answers itself', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag, (seen, res) => {
      if (seen.url === '/slow') return; // never answers: the gateway times out
      if (seen.url === '/big') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('b'.repeat(RESPONSE_LIMIT * 4));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok');
    });
    const scoped = (route: string) => ({ wasmgate: { scope: { routes: [`default/${route}`] } } });
    gw = await startGateway(bag, [
      gatewaySpec({ limits: { requestBodyBufferBytes: REQUEST_LIMIT, responseBodyBufferBytes: RESPONSE_LIMIT }, upstreamTimeoutMs: TIMEOUT_MS }),
      service('backend', [`127.0.0.1:${up.port}`]),
      service('dead', [`127.0.0.1:${await freePort()}`]),
      ingress('ks', 'backend', { host: 'ks.test' }),
      ingress('buf', 'backend', { host: 'buf.test' }),
      ingress('dead', 'dead', { host: 'dead.test' }),
      ingress('catch-all', 'backend'),
      wasmPlugin('ks', KITCHEN_SINK, scoped('ks')),
      wasmPlugin('buf', fixture('wat/buffer-bodies.wasm'), scoped('buf')),
    ]);
  });
  after(() => bag.run());

  const upper = (body: string) => send(gw.port, { method: 'POST', path: '/upper', headers: { host: 'ks.test', 'x-fixture-mode': 'body-upper' }, body });

  test('413: kitchen-sink body-upper buffers a body over requestBodyBufferBytes; the upstream never gets it', async () => {
    const before = up.requests.length;
    const r = await upper('x'.repeat(REQUEST_LIMIT * 4));
    assert.equal(r.status, 413);
    assert.equal(r.body, 'Payload Too Large');
    assert.equal(up.requests.length, before, 'no complete request reached the upstream');
    await gw.gateway.settle();
    assert.equal(gw.access.at(-1)!.details, 'request_payload_too_large');
  });

  test('a body at the limit still passes (upper-cased, whole)', async () => {
    const r = await upper('y'.repeat(REQUEST_LIMIT));
    assert.equal(r.status, 200);
    assert.equal(up.requests.at(-1)!.body.toString(), 'Y'.repeat(REQUEST_LIMIT));
  });

  test('413 for a large chunked body sent in many writes', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/upper', agent: false, headers: { host: 'ks.test', 'x-fixture-mode': 'body-upper', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 64; i++) req.write('z'.repeat(512));
      req.end();
    });
    assert.equal(status, 413);
  });

  test('response side: a plugin buffering a response over responseBodyBufferBytes gets 500', async () => {
    const r = await send(gw.port, { path: '/big', headers: { host: 'buf.test' } });
    assert.equal(r.status, 500);
    assert.equal(r.body, 'Internal Server Error');
    await gw.gateway.settle();
    assert.equal(gw.access.at(-1)!.details, 'response_payload_too_large');
  });

  test('the same buffering plugin passes small bodies both ways, whole', async () => {
    const r = await send(gw.port, { method: 'PUT', path: '/small', headers: { host: 'buf.test' }, body: 'q'.repeat(100) });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream ok');
    assert.equal(up.requests.at(-1)!.body.length, 100);
    const big = await send(gw.port, { method: 'PUT', path: '/small', headers: { host: 'buf.test' }, body: 'q'.repeat(REQUEST_LIMIT + 1) });
    assert.equal(big.status, 413);
  });

  test('upstream down: 503 with x-wasmgate-error WG_PROXY_UPSTREAM_UNREACHABLE', async () => {
    const r = await send(gw.port, { path: '/x', headers: { host: 'dead.test' } });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_UNREACHABLE');
    assert.match(r.body, /upstream connect error/);
  });

  test('upstream timeout: 504 with WG_PROXY_UPSTREAM_TIMEOUT after upstreamTimeoutMs', async () => {
    const started = Date.now();
    const r = await send(gw.port, { path: '/slow', headers: { host: 'any.test' } });
    const elapsed = Date.now() - started;
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_TIMEOUT');
    assert.ok(elapsed >= TIMEOUT_MS - 20 && elapsed < TIMEOUT_MS + 2000, `answered after ${elapsed} ms`);
  });

  test('malformed HTTP: 400 on that connection only; a keep-alive client keeps working on its socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports: number[] = [];
      const get = async () => {
        const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/ka', agent }, resolve);
          req.on('socket', (s) => { if (s.localPort) ports.push(s.localPort); else s.once('connect', () => ports.push(s.localPort ?? 0)); });
          req.on('error', reject);
        });
        r.resume();
        await new Promise((resolve) => r.on('end', resolve));
        return r.statusCode;
      };
      assert.equal(await get(), 200);
      for (const garbage of ['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nbad header line\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n']) {
        const answer = await new Promise<string>((resolve, reject) => {
          const s = connect(gw.port, '127.0.0.1');
          let text = '';
          s.setTimeout(5000, () => s.destroy(new Error('no answer to garbage')));
          s.on('data', (d) => { text += d.toString(); });
          s.on('end', () => resolve(text));
          s.on('close', () => resolve(text));
          s.on('error', reject);
          s.write(garbage);
        });
        assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(garbage));
        assert.equal(await get(), 200);
      }
      assert.equal(new Set(ports).size, 1, `the keep-alive client reused one connection: ${ports.join(',')}`);
    } finally {
      agent.destroy();
    }
  });
});
