/**
 * Metrics (reference §4 metric rows).
 *
 * Checklist rows:
 * - metrics (should)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricType, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { HostcallProxy } from './helpers/proxy.js';

function metrics(h: HostcallProxy) {
  const define = (type: number, name: string) => {
    const out = h.scratch.out();
    const r = h.call('define_metric', [type, ...h.scratch.put(name), out]);
    return r === WasmResult.Ok ? h.readU32(out) : -r;
  };
  const get = (id: number): bigint | number => {
    const out = h.scratch.out();
    const r = h.call('get_metric', [id, out]);
    return r === WasmResult.Ok ? h.readU64(out) : r;
  };
  return { define, get, inc: (id: number, d: bigint) => h.call('increment_metric', [id, d]), rec: (id: number, v: bigint) => h.call('record_metric', [id, v]) };
}

describe('proxy_define_metric', () => {
  test('ids are non-zero; the same (type, name) gives the same id; type > 2 or an empty name ⇒ BadArgument', async () => {
    const h = await HostcallProxy.create();
    const { define } = metrics(h);
    const c = define(0, 'reqs');
    assert.ok(c > 0);
    assert.equal(define(0, 'reqs'), c);
    assert.notEqual(define(1, 'reqs'), c, 'a gauge of the same name is another metric');
    assert.equal(define(3, 'x'), -WasmResult.BadArgument);
    assert.equal(define(0, ''), -WasmResult.BadArgument);
  });
});

describe('counter, gauge, histogram', () => {
  test('counter: increment by > 0, record adds, increment by ≤ 0 ⇒ BadArgument', async () => {
    const h = await HostcallProxy.create();
    const { define, get, inc, rec } = metrics(h);
    const id = define(MetricType.Counter, 'c');
    assert.equal(inc(id, 2n), WasmResult.Ok);
    assert.equal(rec(id, 5n), WasmResult.Ok);
    assert.equal(inc(id, 0n), WasmResult.BadArgument);
    assert.equal(inc(id, -1n), WasmResult.BadArgument);
    assert.equal(get(id), 7n);
  });

  test('gauge: increment adds and subtracts, record sets; values are u64 on the wire', async () => {
    const h = await HostcallProxy.create();
    const { define, get, inc, rec } = metrics(h);
    const id = define(MetricType.Gauge, 'g');
    assert.equal(inc(id, 10n), WasmResult.Ok);
    assert.equal(inc(id, -3n), WasmResult.Ok);
    assert.equal(get(id), 7n);
    assert.equal(rec(id, 42n), WasmResult.Ok);
    assert.equal(get(id), 42n);
    assert.equal(rec(id, -1n), WasmResult.Ok, 'u64 max arrives as -1n through the i64 boundary');
    assert.equal(get(id), 2n ** 64n - 1n);
  });

  test('histogram: record samples; increment and get ⇒ BadArgument', async () => {
    const h = await HostcallProxy.create();
    const { define, get, inc, rec } = metrics(h);
    const id = define(MetricType.Histogram, 'h');
    assert.equal(rec(id, 3n), WasmResult.Ok);
    assert.equal(rec(id, 4n), WasmResult.Ok);
    assert.equal(inc(id, 1n), WasmResult.BadArgument);
    assert.equal(get(id), WasmResult.BadArgument);
    const snap = h.ports.metrics.snapshot().find((m) => m.id === id);
    assert.deepEqual([snap?.samples, snap?.count, snap?.value], [[3n, 4n], 2, 7n]);
  });

  test('unknown ids ⇒ NotFound for increment, record and get', async () => {
    const h = await HostcallProxy.create();
    const { get, inc, rec } = metrics(h);
    assert.equal(inc(999, 1n), WasmResult.NotFound);
    assert.equal(rec(999, 1n), WasmResult.NotFound);
    assert.equal(get(999), WasmResult.NotFound);
  });
});

describe('metrics from real plugins', () => {
  test('kitchen-sink metrics mode: counter, in-flight gauge back to 0 after done, histogram of :path lengths', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink);
    const totals: string[] = [];
    for (const path of ['/abc', '/a/longer/path']) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'metrics']], path), true);
      totals.push(`${run.sink.upstreamHeaders?.get('x-metric-requests-total')}/${run.sink.upstreamHeaders?.get('x-metric-inflight')}`);
      run.stream.finish();
    }
    assert.deepEqual(totals, ['1/1', '2/1']);
    const byName = Object.fromEntries(ports.metrics.snapshot().map((m) => [m.name, m]));
    assert.equal(byName.fixture_requests_total?.value, 2n);
    assert.equal(byName.fixture_inflight?.value, 0n);
    assert.deepEqual(byName.fixture_size?.samples, [4n, 14n]);
  });

  test('C body-redact: a counter of redactions, never incremented by 0', async () => {
    const { vm, root, ports } = await loadPlugin('fixtures/c/body-redact.wasm');
    for (const body of ['no match', 'secret and secret']) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
      run.stream.requestData(bytes(body), true);
      run.stream.finish();
    }
    const m = ports.metrics.snapshot().find((x) => x.name === 'body_redact_total');
    assert.equal(m?.value, 2n);
    assert.deepEqual(ports.messages({ level: 3 }), []);
  });
});
