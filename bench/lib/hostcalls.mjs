// What one hostcall costs the host, per kind, on a realistic 12-header request map: the WAT
// hostcall-proxy fixture (fixtures/wat/hostcall-proxy.wat) exports call_<name> for every hostcall,
// which passes its arguments straight through, so timing `vm.call(ctx, 'call_<name>', args)` and
// subtracting the same call of an export that makes no hostcall (`heap_base`) leaves the Wasm → JS
// transition plus the host's work. Best of 15 rounds (median in brackets), ns.
//   node bench/lib/hostcalls.mjs [--quick] [--json]
import { readFileSync } from 'node:fs';
import { host } from './host.mjs';
import { benchPorts } from './host-ports.mjs';

const { compilePlugin, HeaderMap, PluginVm } = host;
const quick = process.argv.includes('--quick');
const ITERS = quick ? 2_000 : 10_000;
const ROUNDS = quick ? 5 : 15;
const SCRATCH = 0x1000;

const REQUEST = [
  [':method', 'GET'], [':path', '/api/v1/things?x=1'], [':authority', 'shop.example.com'], [':scheme', 'http'],
  ['user-agent', 'curl/8.5.0'], ['accept', '*/*'], ['x-request-id', '5f0c2b3e-8a1d-4b7e-9c2f-1a2b3c4d5e6f'],
  ['x-forwarded-for', '10.0.0.1'], ['x-forwarded-proto', 'http'], ['content-type', 'application/json'],
  ['authorization', 'Bearer abcdefghijklmnopqrstuvwxyz0123456789'], ['cookie', 'a=1; b=2; session=xyz'],
];

export async function runHostcalls() {
  const path = new URL('../../fixtures/wat/hostcall-proxy.wasm', import.meta.url);
  const mod = await compilePlugin(readFileSync(path), 'hostcall-proxy');
  const vm = await PluginVm.create(mod, { ports: benchPorts(), name: 'hostcall-proxy' });
  const root = vm.createRoot({ name: 'hostcall-proxy', rootId: '', config: '' });
  const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
  ctx.requestHeaders = new HeaderMap(REQUEST);
  ctx.requestHeadersWritable = true;

  // Inputs in the fixture's scratch area: [ptr, len] per string, two out-slots.
  let next = SCRATCH + 64;
  const put = (s) => {
    const b = new TextEncoder().encode(s);
    vm.memory.write(next, b);
    const at = [next, b.length];
    next += (b.length + 7) & ~7;
    return at;
  };
  const OUT = SCRATCH, OUT2 = SCRATCH + 8;
  const authority = put(':authority'), cookie = put('cookie'), absent = put('x-absent'), mixed = put('Content-Type');
  const addName = put('x-added'), addValue = put('value-1'), contentType = put('content-type'), json = put('application/json');
  const logMsg = put('a log line that the host filters out');

  const cases = {
    'get_header_map_value, 3rd entry': () => vm.call(ctx, 'call_get_header_map_value', [0, ...authority, OUT, OUT2]),
    'get_header_map_value, 12th entry': () => vm.call(ctx, 'call_get_header_map_value', [0, ...cookie, OUT, OUT2]),
    'get_header_map_value, mixed-case name': () => vm.call(ctx, 'call_get_header_map_value', [0, ...mixed, OUT, OUT2]),
    'get_header_map_value, absent': () => vm.call(ctx, 'call_get_header_map_value', [0, ...absent, OUT, OUT2]),
    'add + remove_header_map_value (÷2)': () => {
      vm.call(ctx, 'call_add_header_map_value', [0, ...addName, ...addValue]);
      vm.call(ctx, 'call_remove_header_map_value', [0, ...addName]);
    },
    'replace_header_map_value, present': () => vm.call(ctx, 'call_replace_header_map_value', [0, ...contentType, ...json]),
    'remove_header_map_value, absent': () => vm.call(ctx, 'call_remove_header_map_value', [0, ...absent]),
    'get_header_map_pairs, 12 pairs': () => vm.call(ctx, 'call_get_header_map_pairs', [0, OUT, OUT2]),
    'get_header_map_size': () => vm.call(ctx, 'call_get_header_map_size', [0, OUT]),
    'log, filtered out by level': () => vm.call(ctx, 'call_log', [0, ...logMsg]),
    'get_current_time_nanoseconds': () => vm.call(ctx, 'call_get_current_time_nanoseconds', [OUT]),
  };
  const baseline = () => vm.call(ctx, 'heap_base', []);

  const time = (fn) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) fn();
    return Number(process.hrtime.bigint() - t0) / ITERS;
  };
  const results = {};
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < ITERS; i++) { fn(); baseline(); }
    const per = [];
    for (let r = 0; r < ROUNDS; r++) {
      vm.call(ctx, 'reset_heap', []);
      const b = time(baseline);
      per.push(time(fn) - b);
    }
    per.sort((a, b) => a - b);
    const half = name.includes('÷2') ? 2 : 1;
    results[name] = { best: Math.round(per[0] / half), median: Math.round(per[Math.floor(per.length / 2)] / half) };
  }
  return { iters: ITERS, rounds: ROUNDS, ns: results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runHostcalls();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`| hostcall (12-header request map) | ns, best of ${r.rounds} (median) |\n|---|--:|`);
    for (const [k, v] of Object.entries(r.ns)) console.log(`| ${k} | ${v.best} (${v.median}) |`);
  }
}
