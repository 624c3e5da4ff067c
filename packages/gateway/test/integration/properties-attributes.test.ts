/**
 * Issue 14: every built-in attribute (docs/properties.md) through the gateway, over real sockets,
 * in both path forms: NUL-separated segments (`x-prop: response/code_details`, the fixture turns
 * `/` into NUL) and one dotted segment (`x-prop-dotted: response.code_details`). The plugin is
 * fixtures/wat/property-echo.wat, which echoes the raw encoded bytes; the test decodes them with
 * Envoy's encodings (strings raw, int64 8 bytes LE, bool 1 byte, maps as pairs).
 * The harness test of the same name checks the same table against @wasmgate/testing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BUILTIN_ATTRIBUTES, decodePairs } from '@wasmgate/host';
import {
  Cleanup, fixture, ingress, listenServer, send, service, startGateway, wasmPlugin, type Reply, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const ECHO = fixture('wat/property-echo.wasm');
const CLUSTER = 'outbound|80||backend.default.svc.cluster.local';

/** One read as the fixture reports it: the value's bytes, or the WasmResult it failed with. */
type Read = { readonly bytes: Buffer } | { readonly status: number };

function parse(v: string | string[] | undefined, what: string): Read {
  assert.equal(typeof v, 'string', `${what}: the fixture reported nothing`);
  const s = v as string;
  if (s.startsWith('=')) return { bytes: Buffer.from(s.slice(1), 'hex') };
  assert.match(s, /^!\d+$/, what);
  return { status: Number(s.slice(1)) };
}

const bytesOf = (r: Read, what: string): Buffer => {
  assert.ok('bytes' in r, `${what}: expected a value, got status ${'status' in r ? r.status : '?'}`);
  return r.bytes;
};
const i64 = (b: Buffer, what: string): bigint => {
  assert.equal(b.length, 8, `${what}: int64 is 8 bytes`);
  return b.readBigInt64LE(0);
};

/** A check of one attribute's read. */
type Check = (r: Read, what: string) => void;
const str = (s: string): Check => (r, w) => assert.equal(bytesOf(r, w).toString('utf8'), s, w);
const int = (n: bigint | number): Check => (r, w) => assert.equal(i64(bytesOf(r, w), w), BigInt(n), w);
const intIn = (lo: bigint, hi: bigint): Check => (r, w) => {
  const v = i64(bytesOf(r, w), w);
  assert.ok(v >= lo && v <= hi, `${w}: ${v} not in [${lo}, ${hi}]`);
};
const bool = (b: boolean): Check => (r, w) => assert.deepEqual([...bytesOf(r, w)], [b ? 1 : 0], w);
const pairs = (want: [string, string][]): Check => (r, w) => {
  const got = decodePairs(new Uint8Array(bytesOf(r, w))) ?? [];
  for (const p of want) assert.ok(got.some(([k, v]) => k === p[0] && v === p[1]), `${w}: ${JSON.stringify(p)} missing from ${JSON.stringify(got)}`);
};
const notFound: Check = (r, w) => assert.deepEqual(r, { status: 1 }, `${w}: NotFound`);

interface Case {
  readonly path: string;
  readonly check: Check;
  readonly phase?: 'request' | 'response' | 'log';
  /** Request variant: a POST with a 5-byte body, a gRPC-like answer with trailers, a local reply. */
  readonly variant?: 'post' | 'grpc' | 'reply';
  /**
   * The fixture adds x-prop-value to the response headers before it reads the dotted form, so a
   * read of the response header map differs by that header; both reads must still pass the check.
   */
  readonly differs?: true;
}

describe('issue 14: built-in attributes through the gateway, both path forms', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  /** The port of the gateway's socket as the upstream saw it (per request). */
  let startedAt = 0n;
  before(async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const peer = { 'x-peer': `${req.socket.remoteAddress}:${req.socket.remotePort}` };
        if (req.url?.startsWith('/grpc')) {
          res.writeHead(200, { 'content-type': 'application/grpc', trailer: 'grpc-status', ...peer });
          res.addTrailers({ 'grpc-status': '7' });
          res.end('x');
        } else {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-up': '1', ...peer }).end('upstream ok');
        }
      });
    });
    up = await listenServer(bag, server);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('echo-route', 'backend'),
      wasmPlugin('echo', ECHO, { pluginName: 'echo-root' }),
    ], { workers: 1 });
    startedAt = BigInt(Date.now()) * 1_000_000n;
  });
  after(() => bag.run());

  /** Sends one request asking for `path` in both forms at `phase`; returns both reads and the reply. */
  async function probe(c: Case): Promise<{ nul: Read; dotted: Read; reply: Reply; clientPort: number }> {
    const segments = c.path.split('.');
    // `request.headers.user-agent`: the header name is one segment.
    const nulPath = segments.length > 2 ? [segments[0], segments[1], segments.slice(2).join('.')].join('/') : segments.join('/');
    const headers: Record<string, string> = {
      host: 'props.test', 'x-prop': nulPath, 'x-prop-dotted': c.path, 'x-prop-phase': c.phase ?? 'response',
      'x-request-id': 'req-14', referer: 'http://ref.test/', 'user-agent': 'prop-test/1',
    };
    if (c.variant === 'reply') headers['x-prop-reply'] = '1';
    const method = c.variant === 'post' ? 'POST' : 'GET';
    const body = c.variant === 'post' ? 'hello' : undefined;
    const path = c.variant === 'grpc' ? '/grpc/call' : '/echo/path?x=1&y=2';
    const logsFrom = gw.logs.length;
    let clientPort = 0;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, method, path, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('socket', (s) => s.once('connect', () => { clientPort = s.localPort ?? 0; }));
      req.on('error', reject);
      req.end(body);
    });
    if (c.phase === 'log') {
      await gw.gateway.settle();
      const lines = gw.logs.slice(logsFrom);
      const find = (name: string) => {
        const line = lines.find((l) => l.includes(`${name}: `));
        return line?.slice(line.indexOf(`${name}: `) + name.length + 2).split(/\s/)[0];
      };
      return { nul: parse(find('x-prop-value'), `${c.path} (NUL form)`), dotted: parse(find('x-prop-dotted-value'), `${c.path} (dotted)`), reply, clientPort };
    }
    return {
      nul: parse(reply.headers['x-prop-value'], `${c.path} (NUL form)`),
      dotted: parse(reply.headers['x-prop-dotted-value'], `${c.path} (dotted)`),
      reply, clientPort,
    };
  }

  /** The expected value of each attribute, given the request's client port and the upstream's view. */
  function cases(): Case[] {
    const now = () => BigInt(Date.now()) * 1_000_000n;
    return [
      { path: 'request.path', check: str('/echo/path?x=1&y=2') },
      { path: 'request.url_path', check: str('/echo/path') },
      { path: 'request.host', check: str('props.test') },
      { path: 'request.scheme', check: str('http') },
      { path: 'request.method', check: str('GET') },
      { path: 'request.method', check: str('POST'), variant: 'post', phase: 'request' },
      { path: 'request.headers', check: pairs([[':method', 'GET'], [':path', '/echo/path?x=1&y=2'], [':authority', 'props.test'], ['user-agent', 'prop-test/1'], ['x-request-id', 'req-14']]) },
      { path: 'request.headers.user-agent', check: str('prop-test/1') },
      { path: 'request.headers.no-such-header', check: notFound },
      { path: 'request.referer', check: str('http://ref.test/') },
      { path: 'request.useragent', check: str('prop-test/1') },
      { path: 'request.time', check: (r, w) => intIn(startedAt, now())(r, w) },
      { path: 'request.id', check: str('req-14') },
      { path: 'request.protocol', check: str('HTTP/1.1') },
      { path: 'request.query', check: str('x=1&y=2') },
      { path: 'request.duration', check: notFound },
      { path: 'request.duration', check: intIn(0n, 10_000_000_000n), phase: 'log' },
      { path: 'request.size', check: int(0) },
      { path: 'request.size', check: int(5), variant: 'post' },
      { path: 'request.total_size', check: (r, w) => assert.ok(i64(bytesOf(r, w), w) > 5n, w), variant: 'post' },
      { path: 'response.code', check: notFound, phase: 'request' },
      { path: 'response.code', check: int(200) },
      { path: 'response.code', check: int(403), variant: 'reply' },
      { path: 'response.code_details', check: notFound, phase: 'request' },
      { path: 'response.code_details', check: str('via_upstream') },
      { path: 'response.code_details', check: str('prop_echo_denied'), variant: 'reply' },
      { path: 'response.flags', check: int(0) },
      { path: 'response.grpc_status', check: notFound },
      { path: 'response.grpc_status', check: int(7), variant: 'grpc', phase: 'log' },
      { path: 'response.headers', check: pairs([[':status', '200'], ['x-up', '1'], ['content-type', 'text/plain']]), differs: true },
      { path: 'response.headers.x-up', check: str('1') },
      { path: 'response.trailers', check: notFound },
      { path: 'response.trailers', check: pairs([['grpc-status', '7']]), variant: 'grpc', phase: 'log' },
      { path: 'response.trailers.grpc-status', check: str('7'), variant: 'grpc', phase: 'log' },
      { path: 'response.size', check: int(0) },
      { path: 'response.size', check: int('upstream ok'.length), phase: 'log' },
      { path: 'response.total_size', check: (r, w) => assert.ok(i64(bytesOf(r, w), w) > BigInt('upstream ok'.length), w), phase: 'log' },
      { path: 'source.address', check: () => undefined }, // checked against the client port below
      { path: 'source.port', check: () => undefined },
      { path: 'destination.address', check: str(`127.0.0.1:${gw.port}`) },
      { path: 'destination.port', check: int(gw.port) },
      { path: 'connection.id', check: (r, w) => assert.ok(i64(bytesOf(r, w), w) > 0n, w) },
      { path: 'connection_id', check: (r, w) => assert.ok(i64(bytesOf(r, w), w) > 0n, w) },
      { path: 'connection.mtls', check: bool(false) },
      { path: 'connection.requested_server_name', check: str('') },
      { path: 'connection.tls_version', check: notFound },
      { path: 'connection.subject_peer_certificate', check: notFound },
      { path: 'connection.subject_local_certificate', check: notFound },
      { path: 'connection.uri_san_local_certificate', check: notFound },
      { path: 'connection.uri_san_peer_certificate', check: notFound },
      { path: 'connection.dns_san_local_certificate', check: notFound },
      { path: 'connection.dns_san_peer_certificate', check: notFound },
      { path: 'connection.sha256_peer_certificate_digest', check: notFound },
      { path: 'upstream.address', check: str(`127.0.0.1:${up.port}`) },
      { path: 'upstream.port', check: int(up.port) },
      { path: 'upstream.address', check: notFound, phase: 'request' },
      { path: 'upstream.local_address', check: () => undefined }, // checked against the upstream's peer below
      { path: 'upstream.transport_failure_reason', check: str('') },
      { path: 'upstream.request_attempt_count', check: int(1) },
      { path: 'upstream.tls_version', check: notFound },
      { path: 'xds.route_name', check: str('default/echo-route') },
      { path: 'xds.cluster_name', check: str(CLUSTER) },
      { path: 'xds.node', check: notFound },
      { path: 'xds.cluster_metadata', check: notFound },
      { path: 'route_name', check: str('default/echo-route') },
      { path: 'cluster_name', check: str(CLUSTER) },
      { path: 'listener_direction', check: int(2) },
      { path: 'plugin_name', check: str('default/echo') },
      { path: 'plugin_root_id', check: str('echo-root') },
      { path: 'plugin_vm_id', check: (r, w) => assert.ok(bytesOf(r, w).length > 0, w) },
      { path: 'metadata', check: notFound },
      { path: 'filter_state', check: notFound },
      { path: 'request', check: notFound },
      { path: 'node', check: notFound },
    ];
  }

  test('the table covers every attribute the resolver answers', () => {
    const covered = new Set(cases().map((c) => c.path));
    assert.deepEqual(BUILTIN_ATTRIBUTES.filter((a) => !covered.has(a)), []);
  });

  test('each attribute reads the same in both path forms, with Envoy types and encodings', async () => {
    for (const c of cases()) {
      const what = `${c.path} at ${c.phase ?? 'response'}${c.variant ? ` (${c.variant})` : ''}`;
      const { nul, dotted, reply, clientPort } = await probe(c);
      if (c.differs) c.check(dotted, `${what} (dotted)`);
      else assert.deepEqual(dotted, nul, `${what}: both forms answer the same`);
      c.check(nul, what);
      if (c.path === 'source.address') str(`127.0.0.1:${clientPort}`)(nul, what);
      if (c.path === 'source.port') int(clientPort)(nul, what);
      if (c.path === 'upstream.local_address') str(String(reply.headers['x-peer']))(nul, what);
    }
  });

  test('request-phase reads see the request before any upstream', async () => {
    const { nul } = await probe({ path: 'request.path', check: str('/echo/path?x=1&y=2'), phase: 'request' });
    str('/echo/path?x=1&y=2')(nul, 'request.path at request');
  });

  test('an unreachable upstream: 503 with Envoy details, flag UF and the connect error as transport failure reason', async (t) => {
    const down = await listenServer(t, http.createServer());
    await down.close();
    const g = await startGateway(t, [
      service('gone', [`127.0.0.1:${down.port}`]),
      ingress('gone-route', 'gone'),
      wasmPlugin('echo', ECHO),
    ], { workers: 1 });
    const ask = (p: string) => send(g.port, { headers: { host: 'x.test', 'x-prop': p.replaceAll('.', '/'), 'x-prop-dotted': p } });
    const details = await ask('response.code_details');
    assert.equal(details.status, 503);
    str('upstream_reset_before_response_started{connection_failure}')(parse(details.headers['x-prop-value'], 'details'), 'details');
    int(0x20)(parse((await ask('response.flags')).headers['x-prop-dotted-value'], 'flags'), 'flags');
    str('ECONNREFUSED')(parse((await ask('upstream.transport_failure_reason')).headers['x-prop-value'], 'reason'), 'reason');
  });
});
