// Micro-benchmark of what issue 10's metrics and tracing add to one request, and what a scrape
// costs. No sockets, no plugin: the exact calls the exchange and the host chain make per request
// (ExchangeObservation: 3 plugins × 4 callbacks timed, the upstream start and answer, the end),
// against the compiled gateway in packages/gateway/dist.
//   node bench/lib/observability.mjs [--quick]      prints JSON and a summary line on stderr
// Cases: metrics only (tracing absent: the default), tracing with samplingRatio 0 (non-recording
// spans, the traceparent still propagated), tracing with samplingRatio 1 (every span recorded and
// queued for export; the exporter points at a closed port, so export attempts fail fast).
// Scrape: a worker recorder with 20 routes × 4 methods × 3 status classes and 10 plugins × 7
// phases, snapshotted, structured-cloned (as postMessage does), merged for 2 workers, rendered.
import { serialize, deserialize } from 'node:v8';
import { host } from './host.mjs';

const gw = (p) => import(new URL(`../../packages/gateway/dist/src/${p}`, import.meta.url).href);
const { startObservation } = await gw('observability/exchange-observer.js');
const { MetricsRecorder, mergeSnapshots, Exposition } = await gw('observability/metrics.js');
const { flushTracing, loadTracing } = await gw('observability/tracing.js');
await loadTracing();

const QUICK = process.argv.includes('--quick');
const ITERS = QUICK ? 5_000 : 20_000;
const ROUNDS = QUICK ? 5 : 9;

const req = { method: 'GET', url: '/bench/path?q=1', httpVersion: '1.1' };
const filters = ['default/a', 'default/b', 'default/c'].map((name) => ({ name }));
const PHASES = ['request_headers', 'response_headers', 'response_body', 'log'];

function oneRequest(config) {
  const headers = new host.HeaderMap([[':method', 'GET'], [':path', '/bench/path?q=1'], [':authority', 'bench.test'], ['x-request-id', 'abc']]);
  const obs = startObservation(config, req, headers);
  const t = obs.phaseTiming;
  for (const phase of PHASES) {
    for (let i = 0; i < filters.length; i++) t.end(filters[i], i, phase, t.start(filters[i], i, phase));
    if (phase === 'request_headers') obs.upstreamStart('default/bench', 'outbound|80||bench.default.svc.cluster.local', { host: 'bench.test' });
    if (phase === 'response_headers') obs.upstreamResponse(200);
  }
  obs.end({ route: 'default/bench', cluster: 'outbound|80||bench.default.svc.cluster.local', method: 'GET', status: 200, bytesIn: 0, bytesOut: 1234 });
}

function time(fn) {
  const per = [];
  for (let w = 0; w < ITERS / 10; w++) fn();
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / ITERS);
  }
  per.sort((a, b) => a - b);
  return { min: Math.round(per[0]), median: Math.round(per[Math.floor(per.length / 2)]) };
}

const tracing = (samplingRatio) => ({ gateway: { tracing: { otlpEndpoint: 'http://127.0.0.1:9/v1/traces', samplingRatio, serviceName: 'bench' } } });
const perRequest = {
  metrics_only: time(() => oneRequest({ gateway: {} })),
  tracing_sampled_0: time(() => oneRequest(tracing(0))),
  tracing_sampled_1: time(() => oneRequest(tracing(1))),
};

// Scrape cost.
const rec = new MetricsRecorder();
for (let r = 0; r < 20; r++) {
  for (const m of ['GET', 'POST', 'PUT', 'other']) for (const s of ['2xx', '4xx', '5xx']) rec.add('requests', [`default/route-${r}`, `outbound|80||svc-${r}.default.svc.cluster.local`, m, s]);
  rec.observe('requestDuration', [`default/route-${r}`, `outbound|80||svc-${r}.default.svc.cluster.local`], 0.003);
  rec.observe('upstreamDuration', [`default/route-${r}`, `outbound|80||svc-${r}.default.svc.cluster.local`], 0.002);
  rec.add('bytesOut', [`default/route-${r}`], 100);
}
for (let p = 0; p < 10; p++) for (const ph of ['request_headers', 'request_body', 'request_trailers', 'response_headers', 'response_body', 'response_trailers', 'log']) rec.observe('pluginPhase', [`default/plugin-${p}`, ph], 0.0001);
let lines = 0;
const scrapeRounds = QUICK ? 50 : 200;
const t0 = process.hrtime.bigint();
for (let i = 0; i < scrapeRounds; i++) {
  const snaps = [deserialize(serialize(rec.snapshot())), deserialize(serialize(rec.snapshot()))];
  const x = new Exposition('prometheus');
  x.recorded(mergeSnapshots(snaps));
  lines = x.text().split('\n').length;
}
const scrapeUs = Math.round(Number(process.hrtime.bigint() - t0) / scrapeRounds / 1000);

await flushTracing();
const out = { perRequestNs: perRequest, scrape: { workers: 2, lines, microseconds: scrapeUs } };
console.log(JSON.stringify(out, null, 2));
console.error(`observability: per request ${perRequest.metrics_only.min} ns (metrics), ${perRequest.tracing_sampled_0.min} ns (tracing, unsampled), ${perRequest.tracing_sampled_1.min} ns (tracing, sampled); scrape of ${lines} lines from 2 workers ${scrapeUs} µs`);
process.exit(0);
