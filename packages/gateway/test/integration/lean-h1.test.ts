/**
 * The lean HTTP/1 server of the plain listener (proxy/h1/lean-server.ts) through a real gateway on
 * real sockets: its responses against node:http's (a second gateway with WASMGATE_HTTP1=node) for a
 * table of raw requests, keep-alive and pipelining, large and slowly read bodies, an unread body
 * discarded, the hand-over to node:http (chunked uploads, Expect, malformed heads), a client that
 * goes away mid-response; then LeanH1 on its own `net` server for timeouts, shutdown and fallback.
 *
 * Everything waits on socket events; the test timeouts are the only clocks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { LeanH1, type Fallback, type LeanHandler, type LeanTimeouts } from '../../src/proxy/h1/lean-server.js';
import type { LeanRequest } from '../../src/proxy/h1/lean-request.js';
import type { LeanResponse } from '../../src/proxy/h1/lean-response.js';
import { freePort } from '../helpers/daemon.js';
import { Cleanup, gatewaySpec, ingress, listenServer, poll, send, service, startGateway, startUpstream, type Manifest, type TestGateway, type Upstream } from '../helpers/gateway.js';

// ---- a raw client and a response splitter ----------------------------------------------------------

/** Every Raw client, destroyed when a suite ends (a failed test leaves none open). */
const clients = new Set<Socket>();
function destroyClients(): void {
  for (const s of clients) s.destroy();
  clients.clear();
}

/** A raw TCP client that keeps everything it reads (latin1) and lets a test wait on it. */
class Raw {
  data = '';
  closed = false;
  readonly socket: Socket;
  #wake: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    clients.add(this.socket);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (c: string) => { this.data += c; this.#notify(); });
    this.socket.on('close', () => { this.closed = true; this.#notify(); });
    this.socket.on('error', () => {});
  }

  #notify(): void {
    for (const w of this.#wake.splice(0)) w();
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Waits until `ok(data)` holds; throws if the connection closes first. */
  async until(what: string, ok: (data: string) => boolean): Promise<void> {
    while (!ok(this.data)) {
      if (this.closed) throw new Error(`closed before ${what}; got ${JSON.stringify(this.data)}`);
      await new Promise<void>((r) => this.#wake.push(r));
    }
  }

  /** Waits until `n` whole responses were read (`heads[i]`: the i-th answers a HEAD). */
  async responses(n: number, heads: boolean[] = []): Promise<Resp[]> {
    let got: Resp[] = [];
    await this.until(`${n} responses`, (d) => (got = split(d, heads, this.closed).responses).length >= n);
    return got;
  }

  /** Waits for the connection to close; everything read. */
  async end(): Promise<string> {
    while (!this.closed) await new Promise<void>((r) => this.#wake.push(r));
    return this.data;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens a connection, writes `bytes`, returns everything read until the gateway closes it. */
async function exchange(port: number, bytes: string): Promise<string> {
  const c = new Raw(port);
  c.write(bytes);
  return c.end();
}

interface Resp {
  /** The response as read. */
  readonly raw: string;
  readonly status: number;
  /** The head up to and without the blank line. */
  readonly head: string;
  readonly headers: Record<string, string>;
  /** The body, de-chunked. */
  readonly body: string;
  /** Trailer lines as read (chunked only). */
  readonly trailers: string;
  readonly chunked: boolean;
}

/**
 * Splits `data` into whole responses (interim 1xx ones included, as their own entries). A body
 * runs to the close when it has no framing: whole only once `closed`. Chunk framing is checked.
 */
function split(data: string, heads: boolean[], closed: boolean): { responses: Resp[]; rest: string } {
  const responses: Resp[] = [];
  let at = 0;
  let finals = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const head = data.slice(at, headEnd);
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not a status line at ${at}: ${JSON.stringify(data.slice(at, at + 80))}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    let i = headEnd + 4;
    let body = '';
    let trailers = '';
    const interim = status >= 100 && status < 200;
    const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
    if (interim || heads[finals] || status === 204 || status === 304) {
      // no body
    } else if (chunked) {
      let done = false;
      for (;;) {
        const eol = data.indexOf('\r\n', i);
        if (eol < 0) break;
        const size = parseInt(data.slice(i, eol), 16);
        if (!/^[0-9a-f]+$/i.test(data.slice(i, eol))) throw new Error(`bad chunk size ${JSON.stringify(data.slice(i, eol + 2))}`);
        if (size === 0) {
          const tEnd = data.indexOf('\r\n\r\n', eol);
          const blank = data.startsWith('\r\n', eol + 2);
          if (blank) { i = eol + 4; done = true; } else if (tEnd >= 0) { trailers = data.slice(eol + 2, tEnd); i = tEnd + 4; done = true; }
          break;
        }
        if (data.length < eol + 2 + size + 2) break;
        body += data.slice(eol + 2, eol + 2 + size);
        if (data.slice(eol + 2 + size, eol + 4 + size) !== '\r\n') throw new Error('chunk not followed by CRLF');
        i = eol + 4 + size;
      }
      if (!done) break;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (data.length < i + n) break;
      body = data.slice(i, i + n);
      i += n;
    } else {
      if (!closed) break;
      body = data.slice(i);
      i = data.length;
    }
    responses.push({ raw: data.slice(at, i), status, head, headers, body, trailers, chunked });
    if (!interim) finals++;
    at = i;
  }
  return { responses, rest: data.slice(at) };
}

/**
 * A response stream in a form that compares lean with node:http: Date values masked, and each
 * chunked body as one chunk (how an upstream's body is cut into chunks depends on when its bytes
 * arrive; the framing itself was checked by `split`).
 */
function canonical(data: string, heads: boolean[]): string {
  const { responses, rest } = split(data, heads, true);
  return responses.map((r) => {
    const head = r.head.replace(/^(date): .*$/gim, '$1: <masked>');
    if (!r.chunked || r.raw.length === r.head.length + 4) return `${head}\r\n\r\n${r.raw.slice(r.head.length + 4)}`;
    const one = r.body.length > 0 ? `${r.body.length.toString(16)}\r\n${r.body}\r\n` : '';
    return `${head}\r\n\r\n${one}0\r\n${r.trailers ? `${r.trailers}\r\n` : ''}\r\n`;
  }).join('') + rest;
}

// ---- gateways ---------------------------------------------------------------------------------------


/** Starts a gateway with the lean server (`lean`) or node:http only (WASMGATE_HTTP1=node). */
async function startKind(bag: Cleanup, lean: boolean, upstreamPort: number, dead: number, extra: Manifest[] = []): Promise<TestGateway> {
  const saved = process.env.WASMGATE_HTTP1;
  if (!lean) process.env.WASMGATE_HTTP1 = 'node';
  try {
    return await startGateway(bag, [
      service('backend', [`127.0.0.1:${upstreamPort}`]),
      service('dead', [`127.0.0.1:${dead}`]),
      ingress('all', 'backend'),
      ingress('down', 'dead', { host: 'down.test' }),
      ...extra,
    ]);
  } finally {
    if (saved === undefined) delete process.env.WASMGATE_HTTP1;
    else process.env.WASMGATE_HTTP1 = saved;
  }
}

/** The upstream behind both gateways: what it answers depends on the path. */
function answer(seen: { url: string; body: Buffer; method: string }, res: http.ServerResponse): void {
  const path = seen.url.split('?')[0]!;
  if (path === '/len') res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  else if (path === '/chunk') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('abc');
    setTimeout(() => res.end('def'), 5);
  } else if (path === '/204') res.writeHead(204, { 'x-a': '1' }).end();
  else if (path === '/304') res.writeHead(304, { etag: '"x"' }).end();
  else if (path === '/empty') res.writeHead(200).end();
  else if (path === '/implicit') res.end('implicit length');
  else if (path === '/echo') res.writeHead(200, { 'content-length': String(seen.body.length), 'x-method': seen.method }).end(seen.body);
  else if (path === '/trailers') {
    res.writeHead(200, { trailer: 'x-t' });
    res.write('a');
    res.addTrailers({ 'x-t': '1' });
    res.end();
  } else if (path === '/hash') res.writeHead(200, { 'content-type': 'text/plain' }).end(`${seen.body.length} ${createHash('sha256').update(seen.body).digest('hex')}`);
  else if (path.startsWith('/n/')) {
    // Answers later the lower the number, so the gateway, not the upstream, keeps the order.
    const n = Number(path.slice(3));
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`answer ${n}`), Math.max(0, 40 - 2 * n));
  } else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such path');
}

const big = 'b'.repeat(100_000);
/** Raw requests both servers answer; [name, bytes, responses expected, HEAD flags]. */
const TABLE: [string, string, number, boolean[]?][] = [
  ['Content-Length answer', 'GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['chunked answer', 'GET /chunk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['length of an end() without writeHead', 'GET /implicit HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['keep-alive (stays open)', 'GET /len?q=1&r=%20 HTTP/1.1\r\nHost: t\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n', 1],
  ['explicit Connection: keep-alive', 'GET /chunk HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n', 1],
  ['HTTP/1.0, chunked upstream answer (body to the close)', 'GET /chunk HTTP/1.0\r\nHost: t\r\n\r\n', 1],
  ['HTTP/1.0 without Host', 'GET /len HTTP/1.0\r\n\r\n', 1],
  ['HTTP/1.0 keep-alive, Content-Length answer (stays open)', 'GET /len HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n', 1],
  ['HTTP/1.0 keep-alive, chunked upstream answer (closes)', 'GET /chunk HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n', 1],
  ['HEAD, Content-Length', 'HEAD /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1, [true]],
  ['HEAD, chunked', 'HEAD /chunk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1, [true]],
  ['HEAD, HTTP/1.0', 'HEAD /chunk HTTP/1.0\r\nHost: t\r\n\r\n', 1, [true]],
  ['204', 'GET /204 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['304', 'GET /304 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['empty body', 'GET /empty HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['POST echoed', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello', 1],
  ['POST, empty body', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 1],
  ['POST, 100 kB body', `PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`, 1],
  ['upstream trailers', 'GET /trailers HTTP/1.1\r\nHost: t\r\nTE: trailers\r\nConnection: close\r\n\r\n', 1],
  ['two pipelined', 'GET /len HTTP/1.1\r\nHost: t\r\n\r\nGET /chunk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 2],
  ['pipelined POST then HEAD', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyzHEAD /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 2, [false, true]],
  ['upstream 404', 'GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['local reply: upstream down (503)', 'GET / HTTP/1.1\r\nHost: down.test\r\nConnection: close\r\n\r\n', 1],
  ['local reply, keep-alive', 'GET / HTTP/1.1\r\nHost: down.test\r\n\r\n', 1],
  ['outside the subset (handed over): absolute-form target', 'GET http://t/len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 1],
  ['outside the subset: malformed head', 'GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n', 1],
];

describe('lean HTTP/1 server: the same bytes as node:http', () => {
  const bag = new Cleanup();
  let lean: TestGateway;
  let node: TestGateway;
  before(async () => {
    const up = await startUpstream(bag, answer);
    const dead = await freePort();
    lean = await startKind(bag, true, up.port, dead);
    node = await startKind(bag, false, up.port, dead);
  });
  after(() => { destroyClients(); return bag.run(); });

  /**
   * The first `n` responses of one gateway to `bytes`, canonical; when the last says
   * `connection: close`, everything read until the gateway closed the connection.
   */
  async function responses(port: number, bytes: string, n: number, heads: boolean[]): Promise<string> {
    const c = new Raw(port);
    c.write(bytes);
    const got = await c.responses(n, heads);
    if (/close/i.test(got[n - 1]!.headers.connection ?? '')) {
      await c.end();
      return `${canonical(c.data, heads)}<closed>`;
    }
    c.destroy();
    return `${canonical(got.slice(0, n).map((r) => r.raw).join(''), heads)}<open>`;
  }

  for (const [name, bytes, n, heads = []] of TABLE) {
    test(name, { timeout: 30_000 }, async () => {
      const a = await responses(lean.port, bytes, n, heads);
      const b = await responses(node.port, bytes, n, heads);
      assert.equal(a, b);
      assert.match(a, /^HTTP\/1\.1 \d{3} /);
    });
  }

  test('byte for byte where nothing depends on timing (Content-Length answers, Date masked)', { timeout: 30_000 }, async () => {
    const bytes = 'GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';
    const mask = (s: string) => s.replace(/^(date): .*$/gim, '$1: <masked>');
    assert.equal(mask(await exchange(lean.port, bytes)), mask(await exchange(node.port, bytes)));
  });

  test('Proxy-Connection: close closes the connection, as node:http does', {
    timeout: 30_000,
  }, async () => {
    const bytes = 'GET /len HTTP/1.1\r\nHost: t\r\nProxy-Connection: close\r\n\r\n';
    assert.equal(await responses(lean.port, bytes, 1, []), await responses(node.port, bytes, 1, []));
  });

  test('CONNECT with an origin-form target: not proxied, as with node:http', {
    timeout: 30_000,
  }, async () => {
    const bytes = 'CONNECT /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';
    assert.equal(await exchange(lean.port, bytes), await exchange(node.port, bytes));
  });

  test('a head over node:http\'s 16 KiB limit arriving in one read: node:http\'s answer', {
    timeout: 30_000,
  }, async () => {
    const bytes = `GET /len HTTP/1.1\r\nHost: t\r\nX-Big: ${'x'.repeat(20_000)}\r\nConnection: close\r\n\r\n`;
    const first = (s: string) => s.split('\r\n')[0];
    assert.equal(first(await exchange(lean.port, bytes)), first(await exchange(node.port, bytes)));
  });
});

describe('lean HTTP/1 server: connections', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  /** node:http only, for what the lean server should do as it does. */
  let nodeGw: TestGateway;
  let up: Upstream;
  /** The slow upstream's answers: their 'close' (the gateway dropped the upstream request). */
  const slowClosed: Promise<void>[] = [];
  let hashes: { slow: string; fast: string };
  before(async () => {
    // One upstream with the table's paths plus: /slow-read (reads the body slowly, then hashes it),
    // /early (answers at once without reading the body), /stream (answers a body slowly, forever).
    const requests: never[] = [];
    const server = http.createServer((req, res) => {
      if (req.url === '/slow-read') {
        const h = createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
          // Back-pressure: a pause after every chunk, on a timer.
          req.pause();
          setTimeout(() => req.resume(), 1);
        });
        req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${n} ${h.digest('hex')}`));
      } else if (req.url === '/early') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' }).end('early');
        req.resume();
      } else if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        const timer = setInterval(() => res.write('more '), 20);
        slowClosed.push(new Promise((r) => res.on('close', () => { clearInterval(timer); r(); })));
      } else {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => answer({ url: req.url!, method: req.method!, body: Buffer.concat(chunks) }, res));
      }
    });
    up = await listenServer(bag, server, requests);
    // The access log as JSON with Envoy's response flags (DC: downstream connection termination).
    const accessLog = gatewaySpec({ accessLog: { path: 'stdout', jsonFormat: { requestId: '%REQ(X-REQUEST-ID)%', details: '%RESPONSE_CODE_DETAILS%', flags: '%RESPONSE_FLAGS%' } } });
    const dead = await freePort();
    gw = await startKind(bag, true, up.port, dead, [accessLog]);
    nodeGw = await startKind(bag, false, up.port, dead, [accessLog]);
  });
  after(() => { destroyClients(); return bag.run(); });

  test('keep-alive: requests one after another on one connection are answered in order', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    for (let i = 0; i < 6; i++) {
      c.write(`GET /n/${i} HTTP/1.1\r\nHost: t\r\n\r\n`);
      const got = await c.responses(i + 1);
      assert.equal(got[i]!.status, 200);
      assert.equal(got[i]!.body, `answer ${i}`);
      assert.equal(got[i]!.headers.connection, 'keep-alive');
    }
    c.destroy();
  });

  test('20 pipelined requests in one write are all answered, in order', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    let bytes = '';
    for (let i = 0; i < 20; i++) bytes += `GET /n/${i} HTTP/1.1\r\nHost: t\r\n${i === 19 ? 'Connection: close\r\n' : ''}\r\n`;
    c.write(bytes);
    const data = await c.end();
    const { responses, rest } = split(data, [], true);
    assert.equal(rest, '');
    assert.deepEqual(responses.map((r) => r.body), Array.from({ length: 20 }, (_, i) => `answer ${i}`));
  });

  test('pipelined requests with bodies, mixed with HEAD, in one write', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    const bodies = ['', 'a', 'bb', 'x'.repeat(70_000), 'ccc'];
    let bytes = '';
    for (const b of bodies) bytes += `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${b.length}\r\n\r\n${b}HEAD /len HTTP/1.1\r\nHost: t\r\n\r\n`;
    bytes += 'GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';
    c.write(bytes);
    const heads = bodies.flatMap(() => [false, true]);
    const { responses, rest } = split(await c.end(), heads, true);
    assert.equal(rest, '');
    assert.equal(responses.length, 2 * bodies.length + 1);
    bodies.forEach((b, i) => {
      assert.equal(responses[2 * i]!.body, b);
      assert.equal(responses[2 * i + 1]!.headers['content-length'], '2');
      assert.equal(responses[2 * i + 1]!.body, '');
    });
    assert.equal(responses.at(-1)!.body, 'ok');
  });

  async function upload(path: string, body: Buffer): Promise<string> {
    const c = new Raw(gw.port);
    c.write(`POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    c.write(body);
    const [r] = await c.responses(1);
    c.destroy();
    assert.equal(r!.status, 200, r!.raw.slice(0, 300));
    return r!.body;
  }

  test('a 4 MiB body reaches the upstream whole and intact', { timeout: 60_000 }, async () => {
    const body = randomBytes(4 * 1024 * 1024);
    hashes = { fast: `${body.length} ${createHash('sha256').update(body).digest('hex')}`, slow: '' };
    const got = await upload('/hash', body);
    assert.equal(got.split(' ')[0], String(body.length));
    assert.equal(got, hashes.fast);
  });

  test('a 4 MiB body read slowly by the upstream (back-pressure) arrives whole and intact', { timeout: 120_000 }, async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const want = `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
    assert.equal(await upload('/slow-read', body), want);
  });

  test('the same body through http.request on a keep-alive agent, twice on one connection', { timeout: 60_000 }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = randomBytes(1024 * 1024 + 17);
      const want = `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
      for (let i = 0; i < 2; i++) assert.equal((await send(gw.port, { method: 'POST', path: '/hash', body, agent })).body, want);
    } finally {
      agent.destroy();
    }
  });

  for (const kind of ['lean', 'node:http'] as const) {
    test(`an answer before the body was read (${kind}): the rest of the body is discarded, the next request answered`, { timeout: 30_000 }, async () => {
      const g = kind === 'lean' ? gw : nodeGw;
      for (const [host, path, status] of [['t', '/early', 200], ['down.test', '/', 503]] as const) {
        const c = new Raw(g.port);
        const body = 'z'.repeat(200_000);
        // Part of the body, the answer, then the rest of it and the next request: the rest must not
        // be read as a head.
        c.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 1000)}`);
        const [first] = await c.responses(1);
        assert.equal(first!.status, status, first!.raw);
        assert.equal(first!.headers.connection, 'keep-alive', first!.raw);
        c.write(`${body.slice(1000)}GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
        const data = await c.end();
        const { responses, rest } = split(data, [], true);
        assert.equal(rest, '', data.slice(0, 500));
        assert.equal(responses.length, 2, data.slice(0, 500));
        assert.equal(responses[1]!.status, 200);
        assert.equal(responses[1]!.body, 'ok');
      }
    });
  }

  test('an early answer with the whole body already sent: the next pipelined request is answered', { timeout: 30_000 }, async () => {
    const body = 'q'.repeat(300_000);
    const data = await exchange(gw.port, `POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
    const { responses, rest } = split(data, [], true);
    assert.equal(rest, '');
    assert.deepEqual(responses.map((r) => [r.status, r.body]), [[200, 'early'], [200, 'ok']]);
  });

  test('hand-over: a chunked upload goes to node:http and reaches the upstream whole', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    c.write('POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    c.write('6\r\n world\r\n0\r\n\r\n');
    const [r] = await c.responses(1);
    assert.equal(r!.status, 200);
    assert.equal(r!.body, 'hello world');
    // node:http owns the connection now, and serves the next request on it.
    c.write('GET /len HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    const all = split(await c.end(), [], true).responses;
    assert.equal(all.length, 2);
    assert.equal(all[1]!.body, 'ok');
  });

  test('hand-over: Expect: 100-continue gets 100 Continue, then the answer', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    c.write('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    await c.until('100 Continue', (d) => d.includes('\r\n\r\n'));
    assert.match(c.data, /^HTTP\/1\.1 100 Continue\r\n/);
    c.write('payload');
    const { responses } = split(await c.end(), [], true);
    assert.deepEqual(responses.map((r) => r.status), [100, 200]);
    assert.equal(responses[1]!.body, 'payload');
  });

  // Not pipelined: the malformed head is sent after the first answer arrived. A body that came in
  // one write with its head is not a pipelined request either.
  for (const [what, request, answer] of [
    ['a GET', 'GET /len HTTP/1.1\r\nHost: t\r\n\r\n', 'ok'],
    ['a POST whose body came in one write with its head', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody', 'body'],
  ] as const) {
    test(`hand-over: a malformed head after ${what} on the same connection gets node:http's 400`, { timeout: 30_000 }, async () => {
      const c = new Raw(gw.port);
      c.write(request);
      const [first] = await c.responses(1);
      assert.equal(first!.body, answer);
      c.write('GET /len HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n');
      const rest = (await c.end()).slice(first!.raw.length);
      assert.match(rest, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.equal(split(rest, [], true).responses.length, 1);
    });
  }

  test('hand-over: a malformed head pipelined behind a good request: the good answer, then the close', { timeout: 30_000 }, async () => {
    const data = await exchange(gw.port, 'GET /len HTTP/1.1\r\nHost: t\r\n\r\nGET /len HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n');
    const { responses, rest } = split(data, [], true);
    assert.deepEqual(responses.map((r) => r.status), [200]);
    assert.equal(rest, '');
  });

  test('a head that arrives a few bytes at a time is served', { timeout: 30_000 }, async () => {
    const c = new Raw(gw.port);
    const bytes = 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody';
    c.socket.setNoDelay(true);
    for (let i = 0; i < bytes.length; i += 3) {
      c.write(bytes.slice(i, i + 3));
      await new Promise((r) => setImmediate(r));
    }
    const { responses } = split(await c.end(), [], true);
    assert.equal(responses.length, 1);
    assert.equal(responses[0]!.body, 'body');
  });

  for (const kind of ['lean', 'node:http'] as const) {
    test(`a client that goes away mid-response (${kind}): the exchange is dropped as a downstream disconnect, the gateway serves on`, { timeout: 30_000 }, async () => {
      const g = kind === 'lean' ? gw : nodeGw;
      const id = `gone-${kind}`;
      const before = slowClosed.length;
      const c = new Raw(g.port);
      c.write(`GET /stream HTTP/1.1\r\nHost: t\r\nX-Request-Id: ${id}\r\n\r\n`);
      await c.until('the first body bytes', (d) => d.includes('first'));
      c.destroy();
      // The upstream request is dropped with it.
      await poll('the upstream request', async () => (slowClosed.length > before ? true : undefined), 10_000);
      await slowClosed[before];
      // The next request on a new connection is served.
      assert.equal((await send(g.port, { path: '/len' })).body, 'ok');
      // And the access log says why the exchange ended.
      await g.gateway.settle();
      const entry = await poll('the access-log entry', async () => g.access.find((e) => e.requestId === id), 10_000);
      assert.equal(entry.flags, 'DC', JSON.stringify(entry));
    });
  }

  test('a client FIN with a request in flight aborts it, as node:http (no half-open)', { timeout: 30_000 }, async () => {
    const before = slowClosed.length;
    const c = new Raw(gw.port);
    c.write('GET /stream HTTP/1.1\r\nHost: t\r\n\r\n');
    await c.until('the first body bytes', (d) => d.includes('first'));
    c.socket.end();
    await c.end();
    await poll('the upstream request', async () => (slowClosed.length > before ? true : undefined), 10_000);
    await slowClosed[before];
    assert.equal((await send(gw.port, { path: '/len' })).body, 'ok');
  });
});

// ---- LeanH1 on its own -----------------------------------------------------------------------------

interface Handed {
  /** The bytes the fallback was given, then whatever the socket read after. */
  bytes: Buffer;
  readonly pipelined: boolean;
  readonly socket: Socket;
}

/**
 * LeanH1 on a `net` server on 127.0.0.1:0: each connection's first read goes to `accept` (or, with
 * `wholeHead`, everything up to the end of the first head, in one buffer). The fallback records what
 * it was given and keeps reading the socket.
 */
async function leanServer(bag: Cleanup, handler: LeanHandler, timeouts: Partial<LeanTimeouts>, opts: { wholeHead?: boolean } = {}) {
  const lean = new LeanH1(handler, { keepAliveTimeoutMs: 60_000, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, ...timeouts });
  const handed: Handed[] = [];
  let wake: (() => void) | undefined;
  const fallback: Fallback = (socket, bytes, pipelined) => {
    const h: Handed = { bytes: Buffer.from(bytes), pipelined, socket };
    handed.push(h);
    socket.on('data', (more: Buffer) => { h.bytes = Buffer.concat([h.bytes, more]); wake?.(); });
    socket.on('error', () => {});
    wake?.();
  };
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (opts.wholeHead && got.indexOf('\r\n\r\n') < 0) return;
      socket.off('data', onData);
      lean.accept(socket, got, fallback);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  bag.after(() => new Promise<void>((r) => {
    lean.closeAll();
    // Handed-over sockets are no longer the lean server's.
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  /** Waits until the fallback has been given `n` connections and `ok` holds. */
  const handedOver = async (n: number, ok: () => boolean = () => true) => {
    while (handed.length < n || !ok()) await new Promise<void>((r) => { wake = r; });
    return handed;
  };
  return { lean, port: (server.address() as AddressInfo).port, handed, handedOver };
}

const answerOk: LeanHandler = (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`ok ${req.url}`);
};

describe('LeanH1: timeouts, shutdown and the fallback', () => {
  const bag = new Cleanup();
  after(() => { destroyClients(); return bag.run(); });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', { timeout: 30_000 }, async () => {
    const { port, lean } = await leanServer(bag, answerOk, { keepAliveTimeoutMs: 200 });
    const c = new Raw(port);
    c.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\n');
    const [r] = await c.responses(1);
    assert.equal(r!.headers.connection, 'keep-alive');
    assert.equal(r!.body, 'ok /a');
    // The sweep (once a second) closes it: wait for the close, whenever it comes.
    const data = await c.end();
    assert.equal(data, r!.raw);
    await poll('the connection forgotten', async () => (lean.size === 0 ? true : undefined), 10_000);
  });

  test('a head not complete within headersTimeoutMs gets 408 and the close', { timeout: 30_000 }, async () => {
    let calls = 0;
    const { port } = await leanServer(bag, (req, res) => { calls++; answerOk(req, res); }, { headersTimeoutMs: 200 });
    const c = new Raw(port);
    c.write('GET /slow HTTP/1.1\r\nHost: t\r\n');
    const data = await c.end();
    assert.match(data, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(data, /\r\nconnection: close\r\n/i);
    assert.equal(calls, 0);
  });

  test('a second head not complete within headersTimeoutMs after a first request gets 408', { timeout: 30_000 }, async () => {
    const { port } = await leanServer(bag, answerOk, { headersTimeoutMs: 200 });
    const c = new Raw(port);
    c.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\n');
    const data = await c.end();
    const { responses, rest } = split(data, [], true);
    assert.deepEqual(responses.map((r) => r.status), [200, 408]);
    assert.equal(rest, '');
  });

  test('a request body not complete within requestTimeoutMs gets 408; the request sees the abort', { timeout: 30_000 }, async () => {
    let request: LeanRequest | undefined;
    let aborted = false;
    let response: LeanResponse | undefined;
    const { port } = await leanServer(bag, (req, res) => {
      request = req;
      response = res;
      req.on('data', () => {});
      req.on('aborted', () => { aborted = true; });
    }, { requestTimeoutMs: 200 });
    const c = new Raw(port);
    c.write('POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc');
    const data = await c.end();
    assert.match(data, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(request);
    assert.equal(aborted, true);
    assert.equal(response!.writableFinished, false);
  });

  test('closeIdle() closes connections between requests, not one with a request in flight; closeAll() closes that one', { timeout: 30_000 }, async () => {
    let held: LeanResponse | undefined;
    let heldArrived: () => void = () => {};
    const arrived = new Promise<void>((r) => { heldArrived = r; });
    const { port, lean } = await leanServer(bag, (req, res) => {
      if (req.url === '/hold') {
        held = res;
        heldArrived();
      } else answerOk(req, res);
    }, {});
    const idle = new Raw(port);
    idle.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\n');
    await idle.responses(1);
    const busy = new Raw(port);
    busy.write('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n');
    await arrived;
    assert.equal(lean.size, 2);
    lean.closeIdle();
    await idle.end();
    // The busy one still works: its response arrives after closeIdle().
    held!.writeHead(200, { 'content-type': 'text/plain' });
    held!.end('late');
    const [r] = await busy.responses(1);
    assert.equal(r!.body, 'late');
    assert.equal(busy.closed, false);
    // Now between requests, it goes with the next closeIdle(), or closeAll().
    lean.closeAll();
    await busy.end();
    await poll('no connection left', async () => (lean.size === 0 ? true : undefined), 10_000);
  });

  test('closeAll() closes a connection with a request in flight: the response sees the close', { timeout: 30_000 }, async () => {
    let closed = 0;
    let arrivedResolve: () => void = () => {};
    const arrived = new Promise<void>((r) => { arrivedResolve = r; });
    const { port, lean } = await leanServer(bag, (_req, res) => {
      res.on('close', () => { closed++; });
      arrivedResolve();
    }, {});
    const c = new Raw(port);
    c.write('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n');
    await arrived;
    lean.closeAll();
    assert.equal(await c.end(), '');
    await poll('the response closed', async () => (closed === 1 ? true : undefined), 10_000);
  });

  test('a head outside the subset: the fallback gets the socket with every unread byte', { timeout: 30_000 }, async () => {
    let calls = 0;
    const { port, handed, handedOver } = await leanServer(bag, (req, res) => { calls++; answerOk(req, res); }, {});
    const bytes = 'POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
    const c = new Raw(port);
    c.write(bytes);
    const [h] = await handedOver(1, () => handed[0]!.bytes.length >= bytes.length);
    assert.equal(h!.bytes.toString('latin1'), bytes);
    assert.equal(h!.pipelined, false);
    assert.equal(calls, 0);
    c.destroy();
  });

  test('the fallback after a request: pipelined or not, with the bytes of the next head', { timeout: 30_000 }, async () => {
    const { port, handed, handedOver } = await leanServer(bag, answerOk, {});
    const bad = 'GET /b HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n';
    // Pipelined: in the same write as the first request.
    const p = new Raw(port);
    p.write(`GET /a HTTP/1.1\r\nHost: t\r\n\r\n${bad}`);
    await handedOver(1, () => handed[0]!.bytes.length >= bad.length);
    const [first] = await p.responses(1);
    assert.equal(first!.body, 'ok /a');
    assert.equal(handed[0]!.bytes.toString('latin1'), bad);
    assert.equal(handed[0]!.pipelined, true);
    // Not pipelined: after the first answer arrived.
    const q = new Raw(port);
    q.write('GET /a HTTP/1.1\r\nHost: t\r\n\r\n');
    await q.responses(1);
    q.write(bad);
    await handedOver(2, () => handed[1]!.bytes.length >= bad.length);
    assert.equal(handed[1]!.bytes.toString('latin1'), bad);
    assert.equal(handed[1]!.pipelined, false);
    p.destroy();
    q.destroy();
  });

  test('an incomplete head longer than MAX_HEAD_BYTES goes to the fallback', { timeout: 30_000 }, async () => {
    const { port, handed, handedOver } = await leanServer(bag, answerOk, {});
    const head = `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${'x'.repeat(9000)}`;
    const c = new Raw(port);
    c.write(head);
    await handedOver(1, () => handed[0]!.bytes.length >= head.length);
    assert.equal(handed[0]!.bytes.toString('latin1'), head);
    c.destroy();
  });

  test('a whole head longer than MAX_HEAD_BYTES in one buffer goes to the fallback', {
    timeout: 30_000,
  }, async () => {
    let calls = 0;
    const { port, handed, handedOver } = await leanServer(bag, (req, res) => { calls++; answerOk(req, res); }, {}, { wholeHead: true });
    const head = `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${'x'.repeat(20_000)}\r\nConnection: close\r\n\r\n`;
    const c = new Raw(port);
    c.write(head);
    // Either the fallback gets it, or (the bug) the handler answers and the connection closes.
    await Promise.race([handedOver(1, () => handed[0]!.bytes.length >= head.length), c.end()]);
    c.destroy();
    assert.equal(calls, 0);
    assert.equal(handed.length, 1);
  });
});
