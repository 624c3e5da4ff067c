// Issue 14: every built-in attribute (docs/properties.md) through the harness, in both path forms:
// NUL-separated segments (`x-prop: response/code_details`; fixtures/wat/property-echo.wat turns `/`
// into NUL) and one dotted segment (`x-prop-dotted`). The values come from the host's resolver, the
// one the gateway uses (its test of the same name checks the same table over real sockets); the
// harness feeds it its own facts (virtual clock, fixed addresses, DEFAULT_STREAM_PROPERTIES).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BUILTIN_ATTRIBUTES, decodePairs } from '@wasmgate/host';
import { DEFAULT_STREAM_PROPERTIES, loadPlugin, type TestPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const ECHO = fixture('wat/property-echo.wasm');
const CLUSTER = 'outbound|80||backend.default.svc.cluster.local';
const START_NS = BigInt(Date.UTC(2025, 0, 1)) * 1_000_000n;

type Read = { readonly bytes: Buffer } | { readonly status: number };

function parse(v: string | undefined, what: string): Read {
  assert.equal(typeof v, 'string', `${what}: the fixture reported nothing`);
  const s = v!;
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

type Check = (r: Read, what: string) => void;
const str = (s: string): Check => (r, w) => assert.equal(bytesOf(r, w).toString('utf8'), s, w);
const int = (n: bigint | number): Check => (r, w) => assert.equal(i64(bytesOf(r, w), w), BigInt(n), w);
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
  readonly variant?: 'post' | 'grpc' | 'reply';
  /** A read of the response header map: the dotted read also sees the x-prop-value the fixture added. */
  readonly differs?: true;
}

const CASES: readonly Case[] = [
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
  { path: 'request.time', check: int(START_NS) },
  { path: 'request.id', check: str('req-14') },
  { path: 'request.protocol', check: str('HTTP/1.1') },
  { path: 'request.query', check: str('x=1&y=2') },
  { path: 'request.duration', check: notFound },
  { path: 'request.duration', check: int(250_000_000n), phase: 'log' }, // the test advances the clock 250 ms
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
  { path: 'source.address', check: str(DEFAULT_STREAM_PROPERTIES['source.address'] as string) },
  { path: 'source.port', check: int(54321) },
  { path: 'destination.address', check: str('127.0.0.1:8080') },
  { path: 'destination.port', check: int(8080) },
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
  { path: 'upstream.address', check: str('127.0.0.1:8081') },
  { path: 'upstream.port', check: int(8081) },
  { path: 'upstream.address', check: notFound, phase: 'request' },
  { path: 'upstream.local_address', check: str('127.0.0.1:54322') },
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

async function echo(t: TestContext): Promise<TestPlugin> {
  const plugin = await loadPlugin(ECHO, {
    name: 'default/echo', rootId: 'echo-root', properties: { route_name: 'default/echo-route', cluster_name: CLUSTER },
  });
  t.after(() => plugin.close());
  return plugin;
}

/** The NUL form of a dotted path, as `/`-separated segments (a header name is one segment). */
function nulForm(path: string): string {
  const s = path.split('.');
  return s.length > 2 ? [s[0], s[1], s.slice(2).join('.')].join('/') : s.join('/');
}

/** Runs one stream asking for `c.path` in both forms; returns both reads. */
async function probe(plugin: TestPlugin, c: Case): Promise<{ nul: Read; dotted: Read }> {
  const s = plugin.stream();
  const post = c.variant === 'post';
  s.requestHeaders({
    ':method': post ? 'POST' : 'GET', ':path': c.variant === 'grpc' ? '/grpc/call' : '/echo/path?x=1&y=2', ':authority': 'props.test', ':scheme': 'http',
    'x-prop': nulForm(c.path), 'x-prop-dotted': c.path, 'x-prop-phase': c.phase ?? 'response',
    'x-request-id': 'req-14', referer: 'http://ref.test/', 'user-agent': 'prop-test/1',
    ...(c.variant === 'reply' ? { 'x-prop-reply': '1' } : {}),
  }, { endStream: !post });
  if (post) s.requestBody('hello', { endStream: true });
  if (c.variant === 'grpc') s.respond(200, { headers: { 'content-type': 'application/grpc' }, body: 'x', trailers: { 'grpc-status': '7' } });
  else if (c.variant !== 'reply') s.respond(200, { headers: { 'content-type': 'text/plain', 'x-up': '1' }, body: 'upstream ok' });
  if (c.phase === 'log') {
    await plugin.clock.advance(250);
    s.end();
    const find = (name: string) => s.logs.map((l) => l.message).find((m) => m.startsWith(`${name}: `))?.slice(name.length + 2);
    return { nul: parse(find('x-prop-value'), `${c.path} (NUL form)`), dotted: parse(find('x-prop-dotted-value'), `${c.path} (dotted)`) };
  }
  const h = s.downstream.headers;
  s.end();
  return { nul: parse(h?.get('x-prop-value'), `${c.path} (NUL form)`), dotted: parse(h?.get('x-prop-dotted-value'), `${c.path} (dotted)`) };
}

describe('issue 14: built-in attributes through the harness, both path forms', () => {
  it('the table covers every attribute the resolver answers', () => {
    const covered = new Set(CASES.map((c) => c.path));
    assert.deepEqual(BUILTIN_ATTRIBUTES.filter((a) => !covered.has(a)), []);
  });

  it('each attribute reads the same in both path forms, with Envoy types and encodings', async (t) => {
    const plugin = await echo(t);
    for (const c of CASES) {
      const what = `${c.path} at ${c.phase ?? 'response'}${c.variant ? ` (${c.variant})` : ''}`;
      const { nul, dotted } = await probe(plugin, c);
      if (c.differs) c.check(dotted, `${what} (dotted)`);
      else assert.deepEqual(dotted, nul, `${what}: both forms answer the same`);
      c.check(nul, what);
    }
  });

  it('stream properties override the built-in attributes in both forms; null hides one', async (t) => {
    const plugin = await echo(t);
    const s = plugin.stream({ properties: { 'upstream.address': '10.0.0.9:80', 'request.protocol': null } });
    s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test', 'x-prop': 'upstream/address', 'x-prop-dotted': 'request.protocol' }, { endStream: true });
    s.respond(200);
    assert.equal(s.downstream.headers?.get('x-prop-value'), `=${Buffer.from('10.0.0.9:80').toString('hex')}`);
    assert.equal(s.downstream.headers?.get('x-prop-dotted-value'), '!1');
    assert.equal(s.property('upstream.address'), '10.0.0.9:80');
    assert.equal(s.property('response\0code_details'), 'via_upstream', 'TestStream.property takes the NUL form too');
    s.end();
  });

  it('upstreamReset(): Envoy details and flags before and after the response headers', async (t) => {
    const plugin = await echo(t);
    const before = plugin.stream();
    before.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test', 'x-prop': 'response/flags', 'x-prop-dotted': 'response.code_details' }, { endStream: true });
    assert.equal(before.upstreamReset('connection_failure').action, 'local-reply');
    assert.equal(before.downstream.status, 503);
    int(0x20)(parse(before.downstream.headers?.get('x-prop-value'), 'flags'), 'flags UF');
    str('upstream_reset_before_response_started{connection_failure}')(parse(before.downstream.headers?.get('x-prop-dotted-value'), 'details'), 'details');
    before.end();

    const mid = plugin.stream();
    mid.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test', 'x-prop': 'response/flags', 'x-prop-dotted': 'response.code_details', 'x-prop-phase': 'log' }, { endStream: true });
    mid.responseHeaders({ ':status': '200' });
    assert.equal(mid.upstreamReset().action, 'reset');
    mid.end();
    const log = mid.logs.map((l) => l.message);
    assert.ok(log.includes(`x-prop-value: =${Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0]).toString('hex')}`), log.join('\n'));
    assert.ok(log.includes(`x-prop-dotted-value: =${Buffer.from('upstream_reset_after_response_started{remote_reset}').toString('hex')}`), log.join('\n'));
  });
});
