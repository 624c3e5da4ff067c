// In-process micro-benchmarks of the host (no sockets): the cost of one headers-bench
// proxy_on_request_headers callback, and of a whole stream (context create → request headers →
// log/done/delete) through HttpStream, for each fixture.
//   node bench/lib/micro.mjs [--quick]      prints JSON
import { readFileSync } from 'node:fs';
import { host } from './host.mjs';
import { ensureBuiltFixtures, FIXTURES } from './fixtures.mjs';
import { benchPorts } from './host-ports.mjs';

const { compilePlugin, HeaderMap, HttpStream, PluginVm } = host;

const REQUEST = [
  [':method', 'GET'], [':path', '/bench'], [':authority', 'bench.local'], [':scheme', 'http'],
  ['user-agent', 'wasmgate-bench'], ['accept', '*/*'],
];

const nullSink = {
  requestHeaders() {}, requestData() {}, requestTrailers() {},
  responseHeaders() {}, responseData() {}, responseTrailers() {},
  abortUpstream() {}, reset() {},
};

export async function loadFilters(path, copies = 1) {
  const mod = await compilePlugin(readFileSync(path), path);
  const ports = benchPorts();
  const filters = [];
  for (let i = 0; i < copies; i++) {
    const vm = await PluginVm.create(mod, { ports, name: `bench-${i}` });
    const root = vm.createRoot({ name: `bench-${i}`, rootId: '', config: '' });
    filters.push({ name: `bench-${i}`, vm, root, failStrategy: 'FAIL_CLOSE' });
  }
  return { filters, ports };
}

/**
 * `rounds` timings of `iters` calls of fn, in ns per call: the best round (the cost without
 * interference from other processes on a shared machine) and the median round.
 */
function time(fn, iters, rounds) {
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / iters);
  }
  per.sort((a, b) => a - b);
  return { min: Math.round(per[0]), median: Math.round(per[Math.floor(per.length / 2)]) };
}

/** One stream through `filters`: context create, on_request_headers, log/done/delete. */
function streamOnce(filters) {
  const s = new HttpStream(filters, nullSink);
  s.requestHeaders(new HeaderMap(REQUEST), true);
  s.finish();
}

export async function runMicro({ quick = false } = {}) {
  const iters = quick ? 2_000 : 10_000;
  const rounds = quick ? 5 : 9;
  const warm = quick ? 5_000 : 30_000;
  const out = { callback_ns: {}, stream_ns: {}, stream5_ns: {}, empty_stream_ns: 0, median: { callback_ns: {}, stream_ns: {}, stream5_ns: {} } };
  const record = (what, key, t) => {
    out[what][key] = t.min;
    out.median[what][key] = t.median;
  };
  const empty = time(() => streamOnce([]), iters, rounds);
  out.empty_stream_ns = empty.min;
  out.median.empty_stream_ns = empty.median;
  for (const fx of FIXTURES) {
    const { filters, ports } = await loadFilters(fx.path, 1);
    const f = filters[0];
    // The callback alone: one HttpContext, its request headers set once, on_request_headers again
    // and again (headers-bench leaves the map as it found it).
    const ctx = f.vm.createHttpContext(f.root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
    ctx.requestHeaders = new HeaderMap(REQUEST);
    ctx.requestHeadersWritable = true;
    const cb = () => { if (ctx.onRequestHeaders(6, true) !== 0) throw new Error(`${fx.key}: headers-bench did not continue`); };
    for (let i = 0; i < warm; i++) cb();
    record('callback_ns', fx.key, time(cb, iters, rounds));
    ctx.finish();
    for (let i = 0; i < warm; i++) streamOnce(filters);
    record('stream_ns', fx.key, time(() => streamOnce(filters), iters, rounds));
    if (ports.errors.length) throw new Error(`${fx.key}: plugin errors: ${ports.errors.slice(0, 3).join('; ')}`);
    const five = await loadFilters(fx.path, 5);
    for (let i = 0; i < warm / 5; i++) streamOnce(five.filters);
    record('stream5_ns', fx.key, time(() => streamOnce(five.filters), Math.max(200, iters / 5), rounds));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureBuiltFixtures();
  console.log(JSON.stringify(await runMicro({ quick: process.argv.includes("--quick") })));
}
