// What the CPU-deadline and memory-cap rewriting (instrumentModule) costs at run time: the same
// headers-bench proxy_on_request_headers callback as micro.mjs, on a plain VM and on a VM of the
// module compiled with { interrupt: true, maxMemoryPages }, side by side, for the Go, C and
// AssemblyScript builds. The ratio is instrumented over plain (1.02 = 2 % slower).
//   node bench/lib/instrument.mjs [--quick]      prints JSON
import { readFileSync } from 'node:fs';
import { host } from './host.mjs';
import { ensureBuiltFixtures, FIXTURES } from './fixtures.mjs';
import { benchPorts } from './host-ports.mjs';

const { compilePlugin, HeaderMap, PluginVm } = host;

const REQUEST = [
  [':method', 'GET'], [':path', '/bench'], [':authority', 'bench.local'], [':scheme', 'http'],
  ['user-agent', 'wasmgate-bench'], ['accept', '*/*'],
];
/** The limits the gateway would apply: an interrupt check and a 256 MiB cap. */
const LIMITS = { interrupt: true, maxMemoryPages: 4096 };

async function callback(path, limits) {
  const mod = await compilePlugin(readFileSync(path), path, limits);
  const vm = await PluginVm.create(mod, { ports: benchPorts(), name: 'bench' });
  const root = vm.createRoot({ name: 'bench', rootId: '', config: '' });
  const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
  ctx.requestHeaders = new HeaderMap(REQUEST);
  ctx.requestHeadersWritable = true;
  return () => {
    if (ctx.onRequestHeaders(6, true) !== 0) throw new Error(`${path}: headers-bench did not continue`);
  };
}

function round(fn, iters) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iters;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r3 = (x) => Math.round(x * 1000) / 1000;

/**
 * Many short rounds (about 5 ms each) alternating plain and instrumented: on a shared machine most
 * rounds are disturbed by something, and the fastest round of each is the cost without
 * disturbance. The median of per-pair ratios is printed too, as a cross-check.
 */
export async function runInstrumentBench({ quick = false } = {}) {
  const iters = 200;
  const rounds = quick ? 60 : 150;
  const warm = quick ? 5_000 : 20_000;
  const out = { limits: LIMITS, rounds, iters, plain_ns: {}, instrumented_ns: {}, ratio: {}, median_ratio: {} };
  for (const fx of FIXTURES) {
    const plain = await callback(fx.path, {});
    const inst = await callback(fx.path, LIMITS);
    for (let i = 0; i < warm; i++) {
      plain();
      inst();
    }
    const a = [];
    const b = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which one goes first, so neither always runs right after the other's GC.
      if (r % 2) {
        a.push(round(plain, iters));
        b.push(round(inst, iters));
      } else {
        b.push(round(inst, iters));
        a.push(round(plain, iters));
      }
    }
    out.plain_ns[fx.key] = Math.round(Math.min(...a));
    out.instrumented_ns[fx.key] = Math.round(Math.min(...b));
    out.ratio[fx.key] = r3(Math.min(...b) / Math.min(...a));
    out.median_ratio[fx.key] = r3(median(a.map((x, i) => b[i] / x)));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureBuiltFixtures();
  console.log(JSON.stringify(await runInstrumentBench({ quick: process.argv.includes('--quick') })));
}
