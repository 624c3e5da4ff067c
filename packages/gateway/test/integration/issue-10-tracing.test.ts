/**
 * Issue 10, tracing: a Gateway with `tracing` exports OpenTelemetry spans over OTLP/HTTP (JSON) to
 * a real receiver started here, which decodes what arrives. One request with an incoming
 * traceparent through two plugins (the slow-trace WAT plugin, which sets trace_span_tag.slow, and
 * kitchen-sink in callout mode) gives the span tree server → plugin phase spans → callout span, in
 * the incoming trace; the upstream and the callout service get traceparents of that trace; B3
 * headers are honoured and propagated.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { loadConfig } from '../../src/config/index.js';
import type { Daemon } from '../helpers/daemon.js';
import { startRedis } from '../helpers/redis.js';
import {
  Cleanup, KITCHEN_SINK, fixture, gatewaySpec, ingress, listenServer, poll, send, service, startGateway, startUpstream, wasmPlugin,
  writeConfig, type SeenRequest, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes?: { key: string; value: OtlpValue }[];
}
interface Received { service: string | undefined; span: OtlpSpan }

/** OTLP/JSON ids are hex; accept base64 too, in case an exporter sends protobuf-style JSON. */
const hex = (id: string | undefined) => (id === undefined || id === '' ? '' : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue ?? v?.doubleValue);
};

describe('issue 10: OpenTelemetry tracing over OTLP/HTTP', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  const spans: Received[] = [];
  const contentTypes: string[] = [];
  const callouts: SeenRequest[] = [];

  before(async () => {
    const receiver = await listenServer(bag, http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        contentTypes.push(String(req.headers['content-type']));
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of doc.resourceSpans) {
          const svc = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ service: svc, span: { ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) } });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }));
    up = await startUpstream(bag);
    const callout = await listenServer(bag, http.createServer((req, res) => {
      callouts.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0), trailers: {} });
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }));
    gw = await startGateway(bag, [
      gatewaySpec({ tracing: { otlpEndpoint: `http://127.0.0.1:${receiver.port}/v1/traces`, serviceName: 'wg-test', samplingRatio: 1 } }),
      service('backend', [`127.0.0.1:${up.port}`]),
      service('callout', [`127.0.0.1:${callout.port}`]),
      ingress('traced', 'backend', { host: 'traced.test' }),
      wasmPlugin('slow', fixture('wat/slow-trace.wasm')),
      wasmPlugin('ks', KITCHEN_SINK, { defaultConfig: { calloutCluster: 'outbound|80||callout.default.svc.cluster.local' } }),
    ]);
  });
  after(() => bag.run());

  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT = '00f067aa0ba902b7';

  test('the span tree: server span in the incoming trace, plugin phase spans, callout span; traceparent to upstream and callout', async () => {
    const r = await send(gw.port, {
      path: '/work?x=1', headers: { host: 'traced.test', traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc', 'x-fixture-mode': 'callout' },
    });
    assert.equal(r.status, 200, r.body);
    const server = await poll('the server span', async () => spans.find((s) => s.span.traceId === TRACE && s.span.kind === 2), 15_000);
    assert.equal(server.service, 'wg-test');
    assert.ok(contentTypes.every((c) => c.startsWith('application/json')), contentTypes.join());
    const s = server.span;
    assert.equal(s.parentSpanId, PARENT, 'the parent is the incoming traceparent span');
    assert.equal(s.name, 'GET default/traced');
    assert.equal(attr(s, 'http.route'), 'default/traced');
    assert.equal(attr(s, 'http.response.status_code'), 200);
    assert.equal(attr(s, 'url.path'), '/work');
    assert.equal(attr(s, 'slow'), 'yes', 'trace_span_tag.slow became a span attribute');

    // Phase spans end before the server span, but may be in an earlier or later batch: wait for all.
    const children = await poll('the phase and callout spans', async () => {
      const mine = spans.filter((x) => x.span.traceId === TRACE);
      const callout = mine.find((x) => x.span.name.startsWith('callout '));
      return callout && mine.some((x) => x.span.name === 'default/ks log') ? mine : undefined;
    }, 15_000);
    const byName = (n: string) => children.find((x) => x.span.name === n)?.span;
    for (const phase of ['request_headers', 'response_headers', 'log']) {
      for (const plugin of ['default/slow', 'default/ks']) {
        const p = byName(`${plugin} ${phase}`);
        assert.ok(p, `${plugin} ${phase} span; have ${children.map((x) => x.span.name).join(', ')}`);
        assert.equal(p.parentSpanId, s.spanId, `${plugin} ${phase} is a child of the server span`);
        assert.equal(p.kind, 1, 'INTERNAL');
        assert.equal(attr(p, 'wasmgate.phase'), phase);
      }
    }
    const slowHeaders = byName('default/slow request_headers')!;
    assert.ok(BigInt(slowHeaders.endTimeUnixNano) > BigInt(slowHeaders.startTimeUnixNano));
    const ksHeaders = byName('default/ks request_headers')!;
    const callout = children.find((x) => x.span.name === 'callout outbound|80||callout.default.svc.cluster.local')!.span;
    assert.equal(callout.parentSpanId, ksHeaders.spanId, 'the callout is a child of the callback that made it');
    assert.equal(callout.kind, 3, 'CLIENT');
    assert.equal(attr(callout, 'wasmgate.plugin'), 'default/ks');

    // What the upstream and the callout service saw.
    const seen = up.requests.at(-1)!;
    assert.equal(seen.headers.traceparent, `00-${TRACE}-${s.spanId}-01`, 'the upstream is a child of the server span');
    assert.equal(seen.headers.tracestate, 'vendor=abc');
    const call = callouts.at(-1)!;
    assert.equal(call.headers.traceparent, `00-${TRACE}-${callout.spanId}-01`, 'the callout carries its own span');
  });

  test('B3 headers: the trace continues and x-b3-* go upstream with the new span', async () => {
    const trace64 = 'a3ce929d0e0e4736';
    const r = await send(gw.port, { path: '/b3', headers: { host: 'traced.test', 'x-b3-traceid': trace64, 'x-b3-spanid': 'b7ad6b7169203331', 'x-b3-sampled': '1' } });
    assert.equal(r.status, 200, r.body);
    const seen = up.requests.at(-1)!;
    const traceId = trace64.padStart(32, '0');
    assert.equal(seen.headers['x-b3-traceid'], traceId);
    assert.equal(seen.headers['x-b3-sampled'], '1');
    assert.match(String(seen.headers.traceparent), new RegExp(`^00-${traceId}-${seen.headers['x-b3-spanid']}-01$`));
    const server = await poll('the B3 server span', async () => spans.find((s) => s.span.traceId === traceId && s.span.kind === 2), 15_000);
    assert.equal(server.span.parentSpanId, 'b7ad6b7169203331');
    assert.equal(server.span.spanId, seen.headers['x-b3-spanid']);
  });
});

describe('issue 10: an unsampled trace is propagated but not exported', () => {
  const bag = new Cleanup();
  after(() => bag.run());

  test('samplingRatio 0: the upstream gets a traceparent with the sampled flag off; no span reaches the receiver', async () => {
    const bodies: string[] = [];
    const receiver = await listenServer(bag, http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => { body += c; });
      req.on('end', () => { bodies.push(body); res.writeHead(200).end('{}'); });
    }));
    const up = await startUpstream(bag);
    const gw = await startGateway(bag, [
      gatewaySpec({ tracing: { otlpEndpoint: `http://127.0.0.1:${receiver.port}/v1/traces`, samplingRatio: 0 } }),
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('quiet', 'backend'),
      wasmPlugin('slow', fixture('wat/slow-trace.wasm')),
    ]);
    assert.equal((await send(gw.port, { path: '/q' })).status, 200);
    const tp = String(up.requests.at(-1)!.headers.traceparent);
    assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await gw.gateway.close(); // workers flush their spans on close
    assert.equal(bodies.filter((b) => b.includes(tp.split('-')[1]!)).length, 0, 'nothing of that trace was exported');
  });
});

describe('issue 10: a Redis call made in a callback is a CLIENT span', () => {
  const bag = new Cleanup();
  after(() => bag.run());

  test('redis-limit INCR: span "redis <cluster>" under the plugin callback span, db.system=redis', async (t) => {
    let skipReason = '';
    const redis: Daemon | undefined = await startRedis({ skip: (m) => { skipReason = m; } });
    if (!redis) return t.skip(skipReason);
    bag.after(() => redis.stop());
    const spans: OtlpSpan[] = [];
    const receiver = await listenServer(bag, http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) });
        res.writeHead(200).end('{}');
      });
    }));
    const up = await startUpstream(bag);
    const gw = await startGateway(bag, [
      gatewaySpec({ tracing: { otlpEndpoint: `http://127.0.0.1:${receiver.port}/v1/traces` } }),
      service('backend', [`127.0.0.1:${up.port}`]),
      service('redis', [`127.0.0.1:${redis.port}`], { protocol: 'redis' }),
      ingress('all', 'backend'),
      wasmPlugin('limit', fixture('as/redis-limit.wasm'), { defaultConfig: { limit: 100, window: 60 } }),
    ]);
    const trace = 'aaaabbbbccccddddeeeeffff00001111';
    const r = await send(gw.port, { path: '/api', headers: { 'x-client-id': `c-${Date.now()}`, traceparent: `00-${trace}-1111222233334444-01` } });
    assert.equal(r.status, 200, r.body);
    const redisSpan = await poll('the redis span', async () => spans.find((s) => s.traceId === trace && s.name.startsWith('redis ')), 15_000);
    assert.equal(redisSpan.name, 'redis outbound|6379||redis.default.svc.cluster.local');
    assert.equal(redisSpan.kind, 3);
    assert.equal(attr(redisSpan, 'db.system'), 'redis');
    const parent = await poll('its parent', async () => spans.find((s) => s.spanId === redisSpan.parentSpanId));
    assert.equal(parent.name, 'default/limit request_headers');
  });
});

describe('issue 10: tracing configuration', () => {
  const bag = new Cleanup();
  after(() => bag.run());
  const load = (tracing: unknown) => loadConfig(writeConfig(bag, [gatewaySpec({ tracing }), service('backend', ['127.0.0.1:1']), ingress('r', 'backend')]));

  test('defaults: samplingRatio 1, serviceName wasmgate; absent = no tracing', () => {
    assert.deepEqual(load({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces' }).config?.gateway.tracing,
      { otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', samplingRatio: 1, serviceName: 'wasmgate' });
    const none = loadConfig(writeConfig(bag, [service('backend', ['127.0.0.1:1']), ingress('r', 'backend')]));
    assert.equal(none.config?.gateway.tracing, undefined);
  });

  test('an unknown field under tracing is a warning (as everywhere), naming it', () => {
    const { errors, warnings } = load({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', endpoint: 'x' });
    assert.equal(errors.length, 0);
    assert.match(warnings.map((w) => `${w.message} ${JSON.stringify(w.location ?? {})}`).join('\n'), /endpoint/);
  });

  test('a bad endpoint, a ratio outside 0–1 or a missing endpoint is an error at the field', () => {
    for (const [tracing, where] of [
      [{ otlpEndpoint: 'localhost:4318' }, /tracing\.otlpEndpoint/],
      [{ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', samplingRatio: 2 }, /samplingRatio/],
      [{ samplingRatio: 0.5 }, /otlpEndpoint/],
    ] as const) {
      const { errors } = load(tracing);
      assert.ok(errors.length > 0, JSON.stringify(tracing));
      assert.match(errors.map((e) => `${e.code} ${e.message} ${JSON.stringify(e.location ?? {})}`).join('\n'), where);
    }
  });
});
