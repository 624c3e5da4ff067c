/**
 * parseHead (proxy/h1/parse-head.ts), the strict request-head parser of the lean HTTP/1 server: what
 * it returns for the heads it takes, `undefined` for each rule of its subset (such a head goes to
 * node:http), and a seeded differential property: every head it accepts, node's own parser accepts
 * too and reads the same way (method, url, version, raw headers, keep-alive). node's view comes from
 * a node:http server fed through an in-memory Duplex, no sockets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Duplex } from 'node:stream';
import { parseHead, type LeanHead } from '../../src/proxy/h1/parse-head.js';
import { rng } from '../helpers/rng.js';

/** parseHead on a head given as latin1 text: `end` is the index of its first CRLFCRLF. */
function parse(text: string): LeanHead | undefined {
  const buf = Buffer.from(text, 'latin1');
  const end = buf.indexOf('\r\n\r\n');
  assert.ok(end >= 0, `test head without CRLFCRLF: ${JSON.stringify(text)}`);
  return parseHead(buf, end);
}

describe('parseHead: heads in the subset', () => {
  test('a plain GET', () => {
    const h = parse('GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5\r\nAccept: */*\r\n\r\n');
    assert.deepEqual(h, {
      method: 'GET', url: '/a/b?x=1&y=%20z', minor: 1,
      rawHeaders: ['Host', 'example.com', 'User-Agent', 'curl/8.5', 'Accept', '*/*'],
      host: 'example.com', contentLength: -1, connection: undefined,
    });
  });

  test('a POST with a Content-Length', () => {
    const h = parse('POST /submit HTTP/1.1\r\nhost: t:8080\r\ncontent-type: text/plain\r\ncontent-length: 0012\r\n\r\nhello world!');
    assert.ok(h);
    assert.equal(h.method, 'POST');
    assert.equal(h.url, '/submit');
    assert.equal(h.minor, 1);
    assert.equal(h.host, 't:8080');
    assert.equal(h.contentLength, 12);
    assert.deepEqual(h.rawHeaders, ['host', 't:8080', 'content-type', 'text/plain', 'content-length', '0012']);
  });

  test('Content-Length 0 and 15 digits', () => {
    assert.equal(parse('PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n')?.contentLength, 0);
    assert.equal(parse('PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999999999\r\n\r\n')?.contentLength, 999999999999999);
  });

  test('HTTP/1.0 without Host', () => {
    const h = parse('GET / HTTP/1.0\r\n\r\n');
    assert.deepEqual(h, { method: 'GET', url: '/', minor: 0, rawHeaders: [], host: undefined, contentLength: -1, connection: undefined });
    const k = parse('HEAD /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    assert.equal(k?.minor, 0);
    assert.equal(k?.host, undefined);
    assert.equal(k?.connection, 'keep-alive');
  });

  test('names as sent, values trimmed of SP and HTAB on both sides', () => {
    const h = parse('GET / HTTP/1.1\r\nHOST:t\r\nX-Pad: \t  v a l \t \r\nx-empty:\r\nX-Blank:   \t\r\nX-Inner:a\tb\r\n\r\n');
    assert.deepEqual(h?.rawHeaders, ['HOST', 't', 'X-Pad', 'v a l', 'x-empty', '', 'X-Blank', '', 'X-Inner', 'a\tb']);
    assert.equal(h?.host, 't');
  });

  test('repeated fields are all kept, in order', () => {
    const h = parse('GET / HTTP/1.1\r\nHost: t\r\nCookie: a=1\r\nX: 1\r\ncookie: b=2\r\nX: 2\r\n\r\n');
    assert.deepEqual(h?.rawHeaders, ['Host', 't', 'Cookie', 'a=1', 'X', '1', 'cookie', 'b=2', 'X', '2']);
  });

  test('Connection: close, keep-alive, lists (close wins), and other tokens', () => {
    const conn = (v: string) => parse(`GET / HTTP/1.1\r\nHost: t\r\nConnection: ${v}\r\n\r\n`)?.connection;
    assert.equal(conn('close'), 'close');
    assert.equal(conn('Close'), 'close');
    assert.equal(conn('keep-alive'), 'keep-alive');
    assert.equal(conn('KEEP-ALIVE'), 'keep-alive');
    assert.equal(conn('keep-alive, close'), 'close');
    assert.equal(conn('close, keep-alive'), 'close');
    assert.equal(conn('te, close'), 'close');
    assert.equal(conn('te'), undefined);
    assert.equal(conn('x-foo, keep-alive'), 'keep-alive');
    // Two Connection fields: close in either wins.
    assert.equal(parse('GET / HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n')?.connection, 'close');
    assert.equal(parse('GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n')?.connection, 'close');
  });

  test('the target may use every RFC 3986 character but the fragment', () => {
    const url = "/-._~!$&'()*+,;=:@/?[]%2F/AZaz09";
    assert.equal(parse(`GET ${url} HTTP/1.1\r\nHost: t\r\n\r\n`)?.url, url);
  });

  test('methods node:http knows, in upper case', () => {
    for (const m of ['DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'M-SEARCH', 'QUERY']) {
      assert.equal(parse(`${m} / HTTP/1.1\r\nHost: t\r\n\r\n`)?.method, m);
    }
  });

  test('only the bytes before `end` are read: what follows (a body, a pipelined request) is not', () => {
    const h = parse('GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nBad Header\r\n\r\n');
    assert.equal(h?.url, '/a');
    assert.deepEqual(h?.rawHeaders, ['Host', 't']);
  });

  test('exactly 100 fields are taken', () => {
    let head = 'GET / HTTP/1.1\r\nHost: t\r\n';
    for (let i = 1; i < 100; i++) head += `X-${i}: ${i}\r\n`;
    const h = parse(`${head}\r\n`);
    assert.equal(h?.rawHeaders.length, 200);
  });
});

describe('parseHead: heads outside the subset (undefined: node:http takes them)', () => {
  const refused: [string, string][] = [
    ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: t\r\n\r\n'],
    ['bare LF ending a field line', 'GET / HTTP/1.1\r\nHost: t\nX: 1\r\n\r\n'],
    ['bare CR inside a value', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n'],
    ['obs-fold (SP)', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n'],
    ['obs-fold (HTAB)', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n\tb\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : t\r\n\r\n'],
    ['HTAB before the colon', 'GET / HTTP/1.1\r\nHost: t\r\nX\t: 1\r\n\r\n'],
    ['a field line without colon', 'GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n'],
    ['an empty field name', 'GET / HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n'],
    ['a non-token field name', 'GET / HTTP/1.1\r\nHost: t\r\nX(y): 1\r\n\r\n'],
    ['an unknown method', 'FOO / HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['a lower-case method', 'get / HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['PRI (the HTTP/2 preface)', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['a leading empty line', '\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['absolute-form target', 'GET http://t/ HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['authority-form target', 'CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n'],
    ['space in the target', 'GET /a b HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['" in the target', 'GET /a"b HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['{ in the target', 'GET /a{b} HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['# in the target', 'GET /a#frag HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['obs-text in the target', 'GET /\xe9 HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: t\r\n\r\n'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n'],
    ['HTTP/0.9 style (no version)', 'GET /\r\n\r\n'],
    ['lower-case http/1.1', 'GET / http/1.1\r\nHost: t\r\n\r\n'],
    ['a space after the version', 'GET / HTTP/1.1 \r\nHost: t\r\n\r\n'],
    ['two Host', 'GET / HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n'],
    ['two Host on HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n'],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX: 1\r\n\r\n'],
    ['two Content-Length, different', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['two Content-Length, equal', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n'],
    ['a Content-Length list', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\n'],
    ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n'],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +1\r\n\r\n'],
    ['a hex Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x10\r\n\r\n'],
    ['a Content-Length with a space inside', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1 0\r\n\r\n'],
    ['an empty Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n'],
    ['a 16-digit Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000000000\r\n\r\n'],
    ['Transfer-Encoding: chunked', 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Transfer-Encoding: identity', 'POST / HTTP/1.1\r\nHost: t\r\ntransfer-encoding: identity\r\n\r\n'],
    ['an empty Transfer-Encoding', 'GET / HTTP/1.1\r\nHost: t\r\nTRANSFER-ENCODING:\r\n\r\n'],
    ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Expect: 100-continue', 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n'],
    ['Expect: anything', 'GET / HTTP/1.1\r\nHost: t\r\nexpect: x\r\n\r\n'],
    ['Upgrade', 'GET / HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n\r\n'],
    ['Upgrade with Connection: Upgrade', 'GET / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'],
    ['Connection: upgrade', 'GET / HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\n\r\n'],
    ['Connection: keep-alive, Upgrade', 'GET / HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, Upgrade\r\n\r\n'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n'],
    ['a control character in a value', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\x01b\r\n\r\n'],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\x7fb\r\n\r\n'],
    ['obs-text (0x80) in a value', 'GET / HTTP/1.1\r\nHost: t\r\nX: a\x80b\r\n\r\n'],
    ['obs-text (0xff) in the Host', 'GET / HTTP/1.1\r\nHost: t\xff\r\n\r\n'],
  ];
  for (const [name, head] of refused) {
    test(name, () => assert.equal(parse(head), undefined, JSON.stringify(head)));
  }

  test('more than 100 fields', () => {
    let head = 'GET / HTTP/1.1\r\nHost: t\r\n';
    for (let i = 1; i <= 100; i++) head += `X-${i}: ${i}\r\n`;
    assert.equal(parse(`${head}\r\n`), undefined);
  });

  test('Proxy-Connection: close (node:http reads it as Connection: close)', () => {
    // Either taken with connection: 'close' or left to node:http would do.
    const h = parse('GET / HTTP/1.1\r\nHost: t\r\nProxy-Connection: close\r\n\r\n');
    assert.ok(h === undefined || h.connection === 'close', JSON.stringify(h));
  });

  test('CONNECT with an origin-form target (node:http does not serve it as a request: its "connect" event)', () => {
    assert.equal(parse('CONNECT /x HTTP/1.1\r\nHost: t\r\n\r\n'), undefined);
  });
});

// ---- the differential property ------------------------------------------------------------------

interface NodeView {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly keepAlive: boolean;
}

/**
 * How node:http reads `bytes` (one head): its IncomingMessage fields, or the reason it did not
 * produce a request (a parse error, a CONNECT or upgrade, or nothing).
 */
function nodeView(server: http.Server, bytes: Buffer): Promise<NodeView | string> {
  return new Promise((resolve) => {
    const socket = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    let settled = false;
    const done = (v: NodeView | string) => {
      if (settled) return;
      settled = true;
      server.off('request', onRequest);
      server.off('clientError', onError);
      server.off('connect', onConnect);
      server.off('upgrade', onUpgrade);
      socket.destroy();
      resolve(v);
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.socket !== socket) return;
      done({ method: req.method!, url: req.url!, httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, keepAlive: res.shouldKeepAlive });
    };
    const onError = (err: NodeJS.ErrnoException, s: Duplex) => void (s === socket && done(`clientError ${err.code}`));
    const onConnect = (_req: unknown, s: Duplex) => void (s === socket && done('connect'));
    const onUpgrade = (_req: unknown, s: Duplex) => void (s === socket && done('upgrade'));
    server.on('request', onRequest);
    server.on('clientError', onError);
    server.on('connect', onConnect);
    server.on('upgrade', onUpgrade);
    server.emit('connection', socket);
    socket.push(bytes);
    // node parses as soon as the bytes flow (next ticks at most): a few turns of the loop are plenty.
    let turns = 0;
    const wait = () => (++turns > 5 ? done('no request') : setImmediate(wait));
    setImmediate(wait);
  });
}

/** Valid heads the generator starts from (no CONNECT: node:http's 'connect' event, which parseHead leaves to it). */
const TEMPLATES = [
  'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n',
  'GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/8.5\r\nAccept: */*\r\n\r\n',
  'POST /submit HTTP/1.1\r\nHost: t:8080\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n',
  'HEAD /x HTTP/1.0\r\n\r\n',
  'PUT /p;v=1 HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
  'DELETE /d HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n',
  'OPTIONS /o HTTP/1.1\r\nHost: t\r\nCookie: a=1; b="2"\r\nConnection: keep-alive, close\r\n\r\n',
  'PATCH /q?k=[v] HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2\r\n\r\n',
];
/** Bytes the mutations insert or write: the risky ones, and some ordinary ones. */
const ALPHABET = '\r\n \t:,\x00\x7f\x80\xff"aZk09/?#{%-_;=(@.';
/** Field lines the mutations insert (CL/TE/Host/Connection variations, obs-fold, near misses). */
const LINES = [
  'Content-Length: 5', 'content-length: 05', 'Content-Length:  5 \t', 'Content-Length: 1,1', 'Content-Length: -1',
  'Content-Length: 1234567890123456', 'Content-Length: 123456789012345', 'Content-Length:', 'Content-Length : 5',
  'Transfer-Encoding: chunked', 'transfer-encoding: identity', 'Transfer-Encoding: gzip, chunked',
  'Host: other', 'host:', 'Host : t', 'HOST: a:1', 'Host:\tb\t',
  'Expect: 100-continue', 'Upgrade: websocket', 'Connection: upgrade', 'Connection: close', 'connection: Keep-Alive',
  'Connection: keep-alive, close', 'Connection: te, x', 'Proxy-Connection: close',
  ' folded', '\tfolded', 'X-A: b', 'X-B:c', 'X-Q: "q,\\"x"', 'Cookie: a=1', 'X-Empty:', ':', 'Bad Header',
];
const VERSIONS = ['HTTP/1.0', 'HTTP/1.1', 'HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/01.1', 'HTTP/1', 'HTTP/1.10'];
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'get', 'FOO', 'GET ', 'G\x00T', 'M-SEARCH', 'PURGE', 'PRI'];

/** One random head: a template with one to four mutations. */
function generate(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pos = (s: string) => Math.floor(r() * (s.length + 1));
  let s = pick(TEMPLATES);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const op = Math.floor(r() * 8);
    const lines = s.split('\r\n');
    // lines: request line, fields…, '', '' (the head ends with CRLFCRLF)
    const fieldEnd = Math.max(1, lines.indexOf('', 1));
    const at = 1 + Math.floor(r() * fieldEnd);
    if (op === 0) {
      const p = pos(s);
      s = s.slice(0, p) + pick([...ALPHABET]) + s.slice(p);
    } else if (op === 1) {
      const p = pos(s);
      s = s.slice(0, p) + s.slice(p + 1);
    } else if (op === 2) {
      const p = pos(s);
      s = s.slice(0, p) + pick([...ALPHABET]) + s.slice(p + 1);
    } else if (op === 3 && fieldEnd > 1) {
      // Duplicate a field line, in place or elsewhere.
      const line = lines[1 + Math.floor(r() * (fieldEnd - 1))]!;
      lines.splice(at, 0, line);
      s = lines.join('\r\n');
    } else if (op === 4) {
      lines.splice(at, 0, pick(LINES));
      s = lines.join('\r\n');
    } else if (op === 5) {
      s = s.replace(/HTTP\/1\.[01]/, pick(VERSIONS));
    } else if (op === 6) {
      s = s.replace(/^\S*/, pick(METHODS));
    } else if (op === 7 && fieldEnd > 1) {
      lines.splice(1 + Math.floor(r() * (fieldEnd - 1)), 1);
      s = lines.join('\r\n');
    }
  }
  return s;
}

describe('parseHead is at least as strict as node:http (seeded differential)', () => {
  const server = http.createServer({ requireHostHeader: false });
  after(() => server.close());
  // LEAN_H1_SEED=n tries another seed.
  const SEED = Number(process.env.LEAN_H1_SEED ?? 20261207);
  const COUNT = 4000;
  /** Heads parseHead accepts with node:http's reading of each. */
  const acceptedHeads: { where: string; head: LeanHead; view: NodeView | string }[] = [];
  const stats = { generated: 0, accepted: 0, refused: 0, refusedButNodeTakes: 0, incomplete: 0 };

  before(async () => {
    const r = rng(SEED);
    const seen = new Set<string>();
    for (let i = 0; i < COUNT; i++) {
      const whole = Buffer.from(generate(r), 'latin1');
      stats.generated++;
      const end = whole.indexOf('\r\n\r\n');
      if (end < 0) {
        stats.incomplete++;
        continue;
      }
      // As the lean server does: the head is what comes before the first CRLFCRLF.
      const buf = whole.subarray(0, end + 4);
      const key = buf.toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      const head = parseHead(buf, end);
      const view = await nodeView(server, buf);
      if (head === undefined) {
        stats.refused++;
        if (typeof view !== 'string') stats.refusedButNodeTakes++;
      } else {
        stats.accepted++;
        acceptedHeads.push({ where: `#${i} (seed ${SEED}): ${JSON.stringify(key)}`, head, view });
      }
    }
  });

  test(`${COUNT} mutated heads: the generator reaches both sides of the subset's edge`, () => {
    // The property must be able to fail: accepted heads of every kind, refused ones, and refused
    // ones node:http takes (the subset is strictly smaller).
    const features = { body: 0, close: 0, http10: 0, manyFields: 0 };
    for (const { head } of acceptedHeads) {
      if (head.contentLength >= 0) features.body++;
      if (head.connection === 'close') features.close++;
      if (head.minor === 0) features.http10++;
      if (head.rawHeaders.length >= 8) features.manyFields++;
    }
    const text = JSON.stringify({ ...stats, ...features });
    if (process.env.LEAN_H1_SEED) console.log(text);
    assert.ok(stats.accepted >= 300, text);
    assert.ok(stats.refused >= 300, text);
    assert.ok(stats.refusedButNodeTakes >= 50, text);
    for (const [k, n] of Object.entries(features)) assert.ok(n >= 10, `few accepted heads with ${k}: ${text}`);
  });

  test('every head parseHead accepts, node:http accepts as a request and reads the same way', () => {
    assert.ok(acceptedHeads.length > 0);
    for (const { where, head, view } of acceptedHeads) {
      assert.equal(typeof view, 'object', `parseHead accepts, node:http does not (${String(view)}): ${where}`);
      const v = view as NodeView;
      assert.equal(head.method, v.method, where);
      assert.equal(head.url, v.url, where);
      assert.equal(`1.${head.minor}`, v.httpVersion, where);
      assert.deepEqual(head.rawHeaders, v.rawHeaders, where);
      const cl = v.rawHeaders.findIndex((x, j) => j % 2 === 0 && x.toLowerCase() === 'content-length');
      assert.equal(head.contentLength, cl < 0 ? -1 : Number(v.rawHeaders[cl + 1]), where);
      const hi = v.rawHeaders.findIndex((x, j) => j % 2 === 0 && x.toLowerCase() === 'host');
      assert.equal(head.host, hi < 0 ? undefined : v.rawHeaders[hi + 1], where);
    }
  });

  // Keep-alive: the lean server may close where node:http would keep the connection (always
  // allowed; e.g. HTTP/1.0 with `Connection: keep-alive, close`, where llhttp ignores the close),
  // never keep a connection node:http would close.
  const keepsAlive = (head: LeanHead) => (head.minor === 1 ? head.connection !== 'close' : head.connection === 'keep-alive');

  test('no head parseHead accepts is kept alive where node:http would close', () => {
    for (const { where, head, view } of acceptedHeads) {
      if (typeof view === 'string') continue; // the test above reports these
      if (!view.keepAlive) assert.equal(keepsAlive(head), false, `kept alive where node:http closes: ${where}`);
    }
  });

  test('and mostly the same keep-alive decision as node:http', () => {
    let checked = 0;
    let closedWhereNodeKeeps = 0;
    for (const { where, head, view } of acceptedHeads) {
      if (typeof view === 'string') continue;
      if (!view.keepAlive) assert.equal(keepsAlive(head), false, `kept alive where node:http closes: ${where}`);
      else if (!keepsAlive(head)) closedWhereNodeKeeps++;
      checked++;
    }
    assert.ok(checked >= 300, String(checked));
    assert.ok(closedWhereNodeKeeps * 20 < checked, `closed where node:http keeps alive: ${closedWhereNodeKeeps} of ${checked}`);
  });
});
