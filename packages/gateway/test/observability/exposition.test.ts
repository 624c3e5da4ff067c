/**
 * Unit tests of the /metrics rendering: per-worker snapshots merged, a replaced worker's counts kept,
 * label values escaped, histogram buckets cumulative, and the OpenMetrics naming of counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../../src/gateway.js';
import { renderMetrics } from '../../src/admin/prometheus.js';
import { Exposition, MetricsRecorder, mergeSnapshots } from '../../src/observability/metrics.js';
import type { WorkerStatus } from '../../src/supervisor/protocol.js';

function worker(workerId: number, threadId: number, requests: number): WorkerStatus {
  const r = new MetricsRecorder();
  r.add('requests', ['default/a', 'c', 'GET', '2xx'], requests);
  return {
    workerId, threadId, generation: 1, inFlight: 0, draining: [], plugins: [], skipped: [], heapUsedBytes: 0, listening: true, metrics: r.snapshot(),
  };
}

function fakeGateway(status: () => WorkerStatus[]): Gateway {
  return {
    workerStatus: async () => status(), generation: { id: 1 }, reloadCount: 0, reloadFailures: 0, lastReload: undefined, workers: 2,
    metrics: { snapshot: () => [] },
  } as unknown as Gateway;
}

const value = (text: string, line: string) => text.split('\n').find((l) => l.startsWith(line))?.split(' ').at(-1);

test('workers are summed; a replaced worker (same slot, new thread) keeps what the last scrape saw of it', async () => {
  let now = [worker(1, 11, 3), worker(2, 12, 4)];
  const gw = fakeGateway(() => now);
  const sample = 'wasmgate_requests_total{route="default/a",cluster="c",method="GET",status_class="2xx"}';
  assert.equal(value(await renderMetrics(gw, 'prometheus'), sample), '7');
  now = [worker(1, 21, 1), worker(2, 12, 5)]; // worker 1 died and was replaced by thread 21
  assert.equal(value(await renderMetrics(gw, 'prometheus'), sample), String(3 + 1 + 5));
  now = [worker(1, 21, 2), worker(2, 12, 5)];
  assert.equal(value(await renderMetrics(gw, 'prometheus'), sample), String(3 + 2 + 5), 'the retired count is added once');
});

test('histograms render cumulative buckets with +Inf, _sum and _count; label values are escaped', () => {
  const r = new MetricsRecorder();
  r.observe('requestDuration', ['ns/"odd"\\name', 'c'], 0.003);
  r.observe('requestDuration', ['ns/"odd"\\name', 'c'], 20);
  const x = new Exposition('prometheus');
  x.recorded(mergeSnapshots([r.snapshot()]));
  const text = x.text();
  const labels = 'route="ns/\\"odd\\"\\\\name",cluster="c"';
  assert.equal(value(text, `wasmgate_request_duration_seconds_bucket{${labels},le="0.0025"}`), '0');
  assert.equal(value(text, `wasmgate_request_duration_seconds_bucket{${labels},le="0.005"}`), '1');
  assert.equal(value(text, `wasmgate_request_duration_seconds_bucket{${labels},le="10"}`), '1');
  assert.equal(value(text, `wasmgate_request_duration_seconds_bucket{${labels},le="+Inf"}`), '2');
  assert.equal(value(text, `wasmgate_request_duration_seconds_count{${labels}}`), '2');
  assert.equal(value(text, `wasmgate_request_duration_seconds_sum{${labels}}`), '20.003');
});

test('OpenMetrics: counter families without _total, samples with it, # EOF last', () => {
  const x = new Exposition('openmetrics');
  x.scalar('legacy_restarts', 'counter', 'a counter named without _total', ['p'], [[['k'], 2]]);
  x.scalar('wasmgate_reloads_total', 'counter', 'reloads', [], [[[], 1]]);
  const text = x.text();
  assert.match(text, /^# TYPE legacy_restarts counter\nlegacy_restarts_total\{p="k"\} 2$/m);
  assert.match(text, /^# HELP wasmgate_reloads reloads\n# TYPE wasmgate_reloads counter\nwasmgate_reloads_total 1$/m);
  assert.ok(text.endsWith('# EOF\n'));
});
