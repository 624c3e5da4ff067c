/**
 * httpCallout against a real node:http server on 127.0.0.1:0: what the upstream receives, what the
 * plugin gets back, and each failure kind.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CalloutError, createCalloutAgent, httpCallout, type CalloutRequest } from '../../src/services/http-callout.js';
import { freePort } from '../helpers/daemon.js';

/** Starts `handler` on a free loopback port; closed (with its connections) after the test. */
async function serve(t: TestContext, handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, server };
}

function agentFor(t: TestContext): ReturnType<typeof createCalloutAgent> {
  const agent = createCalloutAgent();
  t.after(() => agent.destroy());
  return agent;
}

const request = (port: number, extra: Partial<CalloutRequest> = {}): CalloutRequest => ({
  host: '127.0.0.1', port, method: 'GET', path: '/', authority: 'svc.example', headers: [], body: new Uint8Array(), timeoutMs: 5000, ...extra,
});

const isKind = (kind: CalloutError['kind']) => (e: unknown): boolean => {
  assert.ok(e instanceof CalloutError, String(e));
  assert.equal(e.kind, kind, e.message);
  return true;
};

test('status, headers in order with repeats, body; the upstream sees host, content-length and no XFF', async (t) => {
  let seen: { method?: string; url?: string; raw: string[]; body: string } = { raw: [], body: '' };
  const { port } = await serve(t, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => { body += c; });
    req.on('end', () => {
      seen = { method: req.method, url: req.url, raw: req.rawHeaders, body };
      res.writeHead(201, ['X-One', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']).end('made');
    });
  });
  const res = await httpCallout(request(port, {
    method: 'POST', path: '/auth?x=1', authority: 'auth.default.svc:8080', body: Buffer.from('hello'),
    headers: [['X-Dup', 'a'], ['x-other', 'o'], ['x-dup', 'b'], [':path', '/ignored'], ['content-length', '999']],
  }), { agent: agentFor(t) });

  assert.equal(res.status, 201);
  assert.deepEqual(res.headers.slice(0, 5), [[':status', '201'], ['x-one', '1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'text/plain']]);
  assert.ok(res.headers.every(([k]) => k === k.toLowerCase()), 'names lower-cased');
  assert.equal(Buffer.from(res.body).toString(), 'made');
  assert.deepEqual(res.trailers, []);

  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/auth?x=1');
  assert.equal(seen.body, 'hello');
  const pairs: [string, string][] = [];
  for (let i = 0; i < seen.raw.length; i += 2) pairs.push([(seen.raw[i] ?? '').toLowerCase(), seen.raw[i + 1] ?? '']);
  assert.deepEqual(pairs.filter(([k]) => k.startsWith('x-')), [['x-dup', 'a'], ['x-other', 'o'], ['x-dup', 'b']]);
  assert.deepEqual(pairs.filter(([k]) => k === 'host' || k === 'content-length'), [['host', 'auth.default.svc:8080'], ['content-length', '5']]);
  assert.ok(!pairs.some(([k]) => k === 'x-forwarded-for' || k === 'transfer-encoding' || k.startsWith(':')));
});

test('an empty POST is sent with content-length 0 rather than chunked; GET gets neither', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const { port } = await serve(t, (req, res) => { seen.push(req.headers); req.resume(); req.on('end', () => res.end()); });
  const agent = agentFor(t);
  await httpCallout(request(port, { method: 'POST' }), { agent });
  await httpCallout(request(port, { method: 'GET' }), { agent });
  assert.equal(seen[0]?.['content-length'], '0');
  assert.equal(seen[0]?.['transfer-encoding'], undefined);
  assert.equal(seen[1]?.['content-length'], undefined);
  assert.equal(seen[1]?.['transfer-encoding'], undefined);
});

test('trailers come back; keep-alive reuses one connection', async (t) => {
  const { port, server } = await serve(t, (_req, res) => {
    res.writeHead(200, { trailer: 'x-check' });
    res.write('part');
    res.addTrailers({ 'X-Check': 'ok' });
    res.end();
  });
  let connections = 0;
  server.on('connection', () => { connections++; });
  const agent = agentFor(t);
  const a = await httpCallout(request(port), { agent });
  const b = await httpCallout(request(port), { agent });
  assert.deepEqual(a.trailers, [['x-check', 'ok']]);
  assert.equal(Buffer.from(b.body).toString(), 'part');
  assert.equal(connections, 1);
});

test('a pooled connection the upstream drops is retried once for GET, not for POST', async (t) => {
  // The upstream hangs up on the second request of each connection, as one does whose idle
  // timeout fires just as a reused keep-alive socket is written to.
  const perSocket = new WeakMap<object, number>();
  const { port, server } = await serve(t, (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n === 2) req.socket.destroy();
    else res.end('ok');
  });
  let connections = 0;
  server.on('connection', () => { connections++; });
  const agent = agentFor(t);
  await httpCallout(request(port), { agent });
  const retried = await httpCallout(request(port), { agent });
  assert.equal(Buffer.from(retried.body).toString(), 'ok');
  assert.equal(connections, 2);
  await assert.rejects(httpCallout(request(port, { method: 'POST', body: Buffer.from('x') }), { agent }), isKind('reset'));
});

test('an upstream that never answers times out', async (t) => {
  const { port } = await serve(t, () => { /* hold the request open */ });
  await assert.rejects(httpCallout(request(port, { timeoutMs: 100 }), { agent: agentFor(t) }), isKind('timeout'));
});

test('connection refused rejects with kind connect', async (t) => {
  const port = await freePort();
  await assert.rejects(httpCallout(request(port), { agent: agentFor(t) }), isKind('connect'));
});

test('a connection dropped mid-response rejects with kind reset', async (t) => {
  const { port } = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('only part', () => res.socket?.destroy());
  });
  await assert.rejects(httpCallout(request(port), { agent: agentFor(t) }), isKind('reset'));
});

test('a body above maxBodyBytes overflows, whether declared or chunked', async (t) => {
  const { port } = await serve(t, (req, res) => {
    const big = Buffer.alloc(4096, 0x61);
    if (req.url === '/declared') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
    else { res.write(big.subarray(0, 2048)); res.end(big.subarray(2048)); }
  });
  const agent = agentFor(t);
  for (const path of ['/declared', '/chunked']) {
    await assert.rejects(httpCallout(request(port, { path }), { agent, maxBodyBytes: 1000 }), isKind('overflow'), path);
  }
  const fits = await httpCallout(request(port, { path: '/chunked' }), { agent, maxBodyBytes: 4096 });
  assert.equal(fits.body.length, 4096);
});
