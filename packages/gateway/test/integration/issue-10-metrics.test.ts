/**
 * Issue 10, metrics: scripted mixed traffic through two workers (several routes, a slow plugin, an
 * unreachable upstream, an upstream slower than upstreamTimeoutMs), then GET /metrics on admin:
 * request counts by route/cluster/method class/status class equal what was sent, histogram buckets
 * hold every observation, bytes add up, connect failures and timeouts are counted per cluster, the
 * per-plugin phase latency ranks the slow plugin first, a plugin-defined histogram has buckets, and
 * every family has # HELP and # TYPE in both Prometheus text and OpenMetrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/daemon.js';
import {
  Cleanup, KITCHEN_SINK, fixture, gatewaySpec, ingress, send, service, startGateway, startUpstream, wasmPlugin, type Reply, type TestGateway,
} from '../helpers/gateway.js';

/** Series of `name` whose labels include every pair of `labels`. */
function series(body: string, name: string, labels: Record<string, string> = {}): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls: Record<string, string> = {};
    for (const p of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) ls[p[1]!] = p[2]!;
    if (Object.entries(labels).every(([k, v]) => ls[k] === v)) out.push({ labels: ls, value: m[4] === '+Inf' ? Infinity : Number(m[4]) });
  }
  return out;
}
const sum = (body: string, name: string, labels: Record<string, string> = {}) => series(body, name, labels).reduce((n, s) => n + s.value, 0);

/** Every sample belongs to a family with both # HELP and # TYPE. */
function assertFamiliesDescribed(body: string, openMetrics: boolean): void {
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of body.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) typed.set(t[1]!, t[2]!);
    const h = /^# HELP (\S+) /.exec(line);
    if (h) helped.add(h[1]!);
  }
  assert.deepEqual([...typed.keys()].sort(), [...helped].sort(), 'every # TYPE has a # HELP and the other way round');
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = line.split(/[{ ]/)[0]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, ''), ...(openMetrics ? [name.replace(/_total$/, '')] : [])].find((n) => typed.has(n));
    assert.ok(family, `sample ${name} has no # TYPE family`);
  }
}

describe('issue 10: gateway metrics on /metrics', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let body: string;
  let reply: Reply;
  let upstreamSawTraceHeaders = true;
  const sent = { aGet: 5, bPost: 3, bOther: 1, ksMetrics: 2, downDelete: 2, slowGet: 1 };

  before(async () => {
    const up = await startUpstream(bag);
    const slowUp = await startUpstream(bag, (_seen, res) => { setTimeout(() => res.writeHead(200).end('late'), 1500).unref(); });
    const dead = await freePort();
    gw = await startGateway(bag, [
      gatewaySpec({ upstreamTimeoutMs: 300 }),
      service('backend', [`127.0.0.1:${up.port}`]),
      service('other', [`127.0.0.1:${up.port}`]),
      service('dead', [`127.0.0.1:${dead}`]),
      service('sluggish', [`127.0.0.1:${slowUp.port}`]),
      ingress('a', 'backend', { host: 'a.test' }),
      ingress('b', 'other', { host: 'b.test' }),
      ingress('down', 'dead', { host: 'down.test' }),
      ingress('slow', 'sluggish', { host: 'slow.test' }),
      wasmPlugin('slow', fixture('wat/slow-trace.wasm'), { wasmgate: { scope: { routes: ['default/a'] } } }),
      wasmPlugin('fast', fixture('wat/custom-log.wasm')),
      wasmPlugin('ks', KITCHEN_SINK, { wasmgate: { scope: { routes: ['default/b'] } } }),
    ], { workers: 2 });

    for (let i = 0; i < sent.aGet; i++) assert.equal((await send(gw.port, { headers: { host: 'a.test' }, path: `/a/${i}` })).status, 200);
    for (let i = 0; i < sent.bPost; i++) assert.equal((await send(gw.port, { method: 'POST', headers: { host: 'b.test' }, path: '/b', body: 'hello' })).status, 200);
    assert.equal((await send(gw.port, { method: 'PATCH', headers: { host: 'b.test' }, path: '/b', body: 'xy' })).status, 200);
    // kitchen-sink records len(:path) in its fixture_size histogram: 4 and 9.
    for (const path of ['/abc', '/abcdefgh']) assert.equal((await send(gw.port, { headers: { host: 'b.test', 'x-fixture-mode': 'metrics' }, path })).status, 200);
    for (let i = 0; i < sent.downDelete; i++) assert.equal((await send(gw.port, { method: 'DELETE', headers: { host: 'down.test' }, path: '/gone' })).status, 503);
    assert.equal((await send(gw.port, { headers: { host: 'slow.test' }, path: '/late' })).status, 504);
    upstreamSawTraceHeaders = up.requests.some((r) => 'traceparent' in r.headers || 'x-b3-traceid' in r.headers);
    reply = await gw.admin('/metrics');
    body = reply.body;
  });
  after(() => bag.run());

  const cluster = (svc: string) => series(body, 'wasmgate_requests_total').find((s) => s.labels.cluster?.includes(`${svc}.default`))?.labels.cluster ?? `?${svc}`;

  test('Prometheus text 0.0.4: content type, # HELP and # TYPE on every family', () => {
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assertFamiliesDescribed(body, false);
    assert.match(body, /^# TYPE wasmgate_requests_total counter$/m);
    assert.match(body, /^# TYPE wasmgate_request_duration_seconds histogram$/m);
  });

  test('requests by route, cluster, method class and status class equal what was sent (summed over both workers)', () => {
    const n = (route: string, method: string, status: string) => sum(body, 'wasmgate_requests_total', { route: `default/${route}`, method, status_class: status });
    assert.equal(n('a', 'GET', '2xx'), sent.aGet, body);
    assert.equal(n('b', 'POST', '2xx'), sent.bPost);
    assert.equal(n('b', 'other', '2xx'), sent.bOther, 'PATCH counts as other');
    assert.equal(n('b', 'GET', '2xx'), sent.ksMetrics);
    assert.equal(n('down', 'DELETE', '5xx'), sent.downDelete);
    assert.equal(n('slow', 'GET', '5xx'), sent.slowGet);
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    assert.equal(sum(body, 'wasmgate_requests_total'), total, 'nothing else was counted');
    assert.equal(series(body, 'wasmgate_requests_total', { route: 'default/a' })[0]!.labels.cluster, cluster('backend'));
    assert.ok(!/route="\/|path=/.test(body), 'no path is ever a label');
  });

  test('latency histograms: cumulative buckets, +Inf = _count = requests, per route and cluster', () => {
    for (const [route, n] of [['a', sent.aGet], ['b', sent.bPost + sent.bOther + sent.ksMetrics], ['down', sent.downDelete], ['slow', sent.slowGet]] as const) {
      const labels = { route: `default/${route}` };
      assert.equal(sum(body, 'wasmgate_request_duration_seconds_count', labels), n, route);
      assert.equal(sum(body, 'wasmgate_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), n);
      const buckets = series(body, 'wasmgate_request_duration_seconds_bucket', labels);
      // One series per worker that served the route: buckets never decrease within one.
      for (const w of new Set(buckets.map((b) => b.labels.cluster))) {
        const vs = buckets.filter((b) => b.labels.cluster === w).map((b) => b.value);
        assert.deepEqual(vs, [...vs].sort((x, y) => x - y));
      }
    }
    // The timed-out request took at least upstreamTimeoutMs: not in the 0.25 s bucket.
    assert.equal(sum(body, 'wasmgate_request_duration_seconds_bucket', { route: 'default/slow', le: '0.25' }), 0);
    // Upstream latency: only exchanges whose upstream answered.
    assert.equal(sum(body, 'wasmgate_upstream_duration_seconds_count', { route: 'default/a' }), sent.aGet);
    assert.equal(sum(body, 'wasmgate_upstream_duration_seconds_count', { route: 'default/down' }), 0);
    assert.equal(sum(body, 'wasmgate_upstream_duration_seconds_count', { route: 'default/slow' }), 0);
  });

  test('without tracing in the Gateway manifest, nothing is added to what the upstream gets', () => {
    assert.equal(upstreamSawTraceHeaders, false);
  });

  test('bytes in and out per route', () => {
    assert.equal(sum(body, 'wasmgate_request_bytes_total', { route: 'default/b' }), sent.bPost * 5 + 2);
    assert.equal(sum(body, 'wasmgate_response_bytes_total', { route: 'default/a' }), sent.aGet * 'upstream ok'.length);
  });

  test('upstream connect failures and timeouts per cluster', () => {
    assert.equal(sum(body, 'wasmgate_upstream_connect_failures_total', { cluster: cluster('dead') }), sent.downDelete);
    assert.equal(sum(body, 'wasmgate_upstream_connect_failures_total'), sent.downDelete);
    assert.equal(sum(body, 'wasmgate_upstream_timeouts_total', { cluster: cluster('sluggish') }), sent.slowGet);
  });

  test('per-plugin phase latency: every callback counted, the slow plugin ranks first', () => {
    const count = (plugin: string, phase: string) => sum(body, 'wasmgate_plugin_phase_duration_seconds_count', { plugin: `default/${plugin}`, phase });
    assert.equal(count('slow', 'request_headers'), sent.aGet);
    assert.equal(count('slow', 'response_headers'), sent.aGet);
    assert.equal(count('slow', 'log'), sent.aGet);
    const fastRequests = Object.values(sent).reduce((a, b) => a + b, 0);
    assert.equal(count('fast', 'request_headers'), fastRequests, 'the unscoped plugin saw every request');
    assert.equal(count('ks', 'request_body'), 2 * (sent.bPost + sent.bOther), 'kitchen-sink saw each body: its chunk, then the empty end of stream');
    const perPlugin = new Map<string, number>();
    for (const s of series(body, 'wasmgate_plugin_phase_duration_seconds_sum')) perPlugin.set(s.labels.plugin!, (perPlugin.get(s.labels.plugin!) ?? 0) + s.value);
    const ranked = [...perPlugin].sort((x, y) => y[1] - x[1]).map(([p]) => p);
    assert.equal(ranked[0], 'default/slow', JSON.stringify([...perPlugin]));
    assert.equal(sum(body, 'wasmgate_plugin_phase_duration_seconds_bucket', { plugin: 'default/slow', phase: 'request_headers', le: '+Inf' }), sent.aGet);
  });

  test('plugin VMs: starts, failures, memory per plugin', () => {
    assert.equal(sum(body, 'wasmgate_plugin_vm_starts_total', { plugin: 'default/slow' }), 2, 'one VM per worker');
    assert.equal(sum(body, 'wasmgate_plugin_vm_failures_total'), 0);
    assert.ok(sum(body, 'wasmgate_plugin_memory_bytes', { plugin: 'default/ks' }) > 0);
    assert.equal(series(body, 'wasmgate_plugin_up', { plugin: 'default/fast' }).length, 2);
  });

  test('a plugin-defined histogram is a real Prometheus histogram with buckets', () => {
    assert.match(body, /^# TYPE fixture_size histogram$/m);
    assert.equal(sum(body, 'fixture_size_bucket', { le: '1' }), 0);
    assert.equal(sum(body, 'fixture_size_bucket', { le: '5' }), 1, 'len("/abc") = 4');
    assert.equal(sum(body, 'fixture_size_bucket', { le: '10' }), 2, 'len("/abcdefgh") = 9');
    assert.equal(sum(body, 'fixture_size_bucket', { le: '+Inf' }), 2);
    assert.equal(sum(body, 'fixture_size_count'), 2);
    assert.equal(sum(body, 'fixture_size_sum'), 13);
  });

  test('OpenMetrics when the Accept header asks for it', async () => {
    const r = await send(gw.adminPort, { path: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(r.body.endsWith('# EOF\n'));
    assertFamiliesDescribed(r.body, true);
    assert.match(r.body, /^# TYPE wasmgate_requests counter$/m);
    assert.ok(sum(r.body, 'wasmgate_requests_total', { route: 'default/a', method: 'GET' }) >= sent.aGet);
    assert.match(r.body, /^# TYPE wasmgate_plugin_restarts counter$/m);
    assert.match(r.body, /^wasmgate_plugin_restarts_total\{plugin="default\/fast",worker="\d"\} 0$/m);
  });
});
