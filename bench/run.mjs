// wasmgate benchmark: one command, one run, everything side by side on this machine.
//   npm run bench                  full run (about 10 to 12 minutes)
//   npm run bench -- --quick       fewer, shorter runs (under 2 min); writes bench/results/quick.json
//                                  (git-ignored) and leaves docs/performance.md alone
// Options: --rate N (fixed offered load, requests/s, default 1000), --spin (keep idle CPUs busy
// with SCHED_IDLE loops during the fixed-rate runs), --no-docs (a full run: skip docs/performance.md),
// --write-docs (a quick run: do write docs/performance.md), --out FILE (default
// bench/results/latest.json, with --quick bench/results/quick.json), --workers-only (only the
// workers section: 1 vs 2 workers; writes bench/results/workers.json, quick: workers-quick.json, and
// replaces only that section of docs/performance.md unless quick).
// Everything listens on 127.0.0.1 on ports chosen free at run time (two runs at once do not share);
// every load run is bounded in time; child processes are stopped on exit. See docs/performance.md,
// "Method", for what is measured and when a target counts as met, missed or invalid.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AS_PER_REQUEST, ensureBuiltFixtures, FIXTURES, GO_FIXTURES, REPO_ROOT } from './lib/fixtures.mjs';
import { gatewayConfig } from './lib/gateway-config.mjs';
import { Histogram } from './lib/histogram.mjs';
import { nginxArgv, nginxVersion, originConfig, proxyConfig } from './lib/nginx.mjs';
import { childCpuSeconds, cpuLayout, cpuSeconds, freePort, loadAverage, machineBusySeconds, measuringCpu, memory, pinned, runAsync, start, startIdleSpinners, stop, waitForPort } from './lib/procs.mjs';
import { RULES, renderMarkdown, renderWorkers, replaceWorkersSection } from './lib/report.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rate: { type: 'string', default: '1000' },
    'no-docs': { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    spin: { type: 'boolean', default: false },
    'workers-only': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const WORKERS_ONLY = args['workers-only'];
const QUICK = args.quick;
// Only a full run replaces the committed results (latest.json, workers.json, docs/performance.md).
const OUT = args.out ?? join(REPO_ROOT, `bench/results/${WORKERS_ONLY ? 'workers' : QUICK ? 'quick' : 'latest'}${WORKERS_ONLY && QUICK ? '-quick' : ''}.json`);
const WRITE_DOCS = args['write-docs'] || (!QUICK && !args['no-docs']);
const RATE = Number(args.rate);
const PLAN = QUICK
  ? { wrkRounds: 1, wrkWarmS: 1, wrkS: 2, rounds: 1, warmMs: 500, fixedMs: 1500, coldRuns: 1, quietWaitMs: 0 }
  : { wrkRounds: 5, wrkWarmS: 1, wrkS: 5, rounds: 5, warmMs: 1000, fixedMs: 5000, coldRuns: 5, quietWaitMs: 10_000 };
const WRK_CONNECTIONS = 32;
const TMP = join(REPO_ROOT, 'bench/results/tmp');
const NODE = process.execPath;

const started = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const children = new Set();
const cleanup = async () => { await Promise.all([...children].map((c) => stop(c))); };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { void cleanup().then(() => process.exit(130)); });

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(`bench: Node ${process.version} is too old; run it through npm (npm run bench) so the project's Node 24 is used`);
    process.exit(2);
  }
}

/** nginx and wrk, installed with apt when missing (the bench may; tests never need them). */
function ensureTools() {
  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const missing = ['nginx', 'wrk'].filter((c) => !has(c));
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (argv) => spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env, timeout: 300_000 }).status === 0;
  if (!run(['apt-get', 'update', '-qq']) || !run(['apt-get', 'install', '-y', '-qq', ...missing])) {
    console.error(`bench: could not install ${missing.join(' ')}; install them (apt-get install -y nginx wrk) and run again`);
    process.exit(2);
  }
}

function childJson(argv, cpu) {
  const r = spawnSync(pinned(cpu, argv)[0], pinned(cpu, argv).slice(1), { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  // One JSON line last (most helpers), or the whole output as (pretty-printed) JSON.
  const out = r.stdout.trim();
  try {
    return JSON.parse(out.split('\n').at(-1));
  } catch {
    return JSON.parse(out.slice(out.search(/^[{[]/m)));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ---- host alone -----------------------------------------------------------------------------------

function hostBenchmarks(layout) {
  log('host micro-benchmarks (no sockets)');
  const micro = childJson([NODE, join(REPO_ROOT, 'bench/lib/micro.mjs'), ...(QUICK ? ['--quick'] : [])], layout.proxy);
  log('CPU-deadline and memory-cap rewriting: the headers-bench callback, instrumented vs plain');
  micro.instrument = childJson([NODE, join(REPO_ROOT, 'bench/lib/instrument.mjs'), ...(QUICK ? ['--quick'] : [])], layout.proxy);
  for (const [k, r] of Object.entries(micro.instrument.ratio)) {
    log(`  ${k.padEnd(3)} plain ${micro.instrument.plain_ns[k]} ns, instrumented ${micro.instrument.instrumented_ns[k]} ns: ${r}× (median of pairs ${micro.instrument.median_ratio[k]}×)`);
  }
  log('shared-state micro-benchmarks (in-memory stores vs shared memory, alone and with a second thread)');
  // Not pinned: the contended case needs its second thread on another CPU.
  const sharedState = childJson([NODE, join(REPO_ROOT, 'bench/lib/shared-state.mjs'), ...(QUICK ? ['--quick'] : [])]);
  for (const k of ['get', 'set', 'cas_update', 'metric_increment']) {
    log(`  ${k.padEnd(16)} ns: in memory ${sharedState.in_memory[`${k}_ns`]}, shared ${sharedState.shared[`${k}_ns`]} (${sharedState.ratio_vs_in_memory[k]}×), contended ${sharedState.shared_contended[`${k}_ns`]} (${sharedState.ratio_vs_in_memory[`${k}_contended`]}×)`);
  }
  log('observability: what metrics and tracing (sampling 0 and 1) add per request, and a scrape');
  micro.observability = childJson([NODE, join(REPO_ROOT, 'bench/lib/observability.mjs'), ...(QUICK ? ['--quick'] : [])], layout.proxy);
  {
    const o = micro.observability;
    log(`  per request: metrics ${o.perRequestNs.metrics_only.min} ns, tracing unsampled ${o.perRequestNs.tracing_sampled_0.min} ns, sampled ${o.perRequestNs.tracing_sampled_1.min} ns; scrape (${o.scrape.lines} lines, ${o.scrape.workers} workers) ${o.scrape.microseconds} µs`);
  }
  log('cold starts of the Go fixtures (one fresh process each)');
  const cold = {};
  for (const fx of GO_FIXTURES) {
    const runs = [];
    for (let i = 0; i < PLAN.coldRuns; i++) runs.push(childJson([NODE, join(REPO_ROOT, 'bench/lib/cold-start.mjs'), fx.path, fx.config ?? ''], layout.proxy));
    const pick = (k) => round(median(runs.map((r) => r[k])), 2);
    cold[fx.key] = {
      bytes: runs[0].bytes, runs: runs.length, total_ms: pick('total_ms'), compile_ms: pick('compile_ms'),
      instantiate_start_ms: pick('instantiate_start_ms'), configure_ms: pick('configure_ms'),
      first_request_ms: pick('first_request_ms'), second_vm_ms: pick('second_vm_ms'),
    };
  }
  return { micro, cold, sharedState };
}

// ---- over sockets ---------------------------------------------------------------------------------

function variants() {
  const go = FIXTURES.find((f) => f.key === 'go').path;
  return [
    { key: 'nginx', label: 'nginx proxy_pass (1 worker)', kind: 'nginx' },
    // Node peers: other Node.js proxies on the same origin, keep-alive to it (bench/peers/).
    // Each round measures the variants in this order, so the pairs a target compares are run next
    // to each other where possible: the bare undici proxy right before wasmgate without a plugin,
    // the node:http server variant right after it, the plugins after those.
    { key: 'peer_http_proxy', label: 'Node peer: http-proxy (npm)', kind: 'peer', script: 'http-proxy.mjs' },
    { key: 'peer_fastify', label: 'Node peer: fastify + @fastify/http-proxy', kind: 'peer', script: 'fastify-proxy.mjs' },
    { key: 'peer_undici', label: 'Node peer: node:http + undici Pool', kind: 'peer', script: 'undici-proxy.mjs' },
    { key: 'none', label: 'wasmgate, no plugin', plugins: [] },
    // The same without the lean HTTP/1 server (node:http serves every request): what it saves.
    { key: 'none_node_http', label: 'wasmgate, no plugin, node:http server (WASMGATE_HTTP1=node)', plugins: [], env: { WASMGATE_HTTP1: 'node' }, standalone: true },
    { key: 'go', label: 'wasmgate + headers-bench (Go)', plugins: [go] },
    { key: 'go_x5', label: 'wasmgate + 5 × headers-bench (Go)', plugins: [go, go, go, go, go] },
    { key: 'as', label: 'wasmgate + headers-bench (AssemblyScript)', plugins: [FIXTURES.find((f) => f.key === 'as').path] },
    { key: 'as_per_request', label: 'wasmgate + headers-bench, names built per request (AS)', plugins: [AS_PER_REQUEST.path] },
    { key: 'as_sdk', label: 'wasmgate + headers-bench (AssemblyScript, @wasmgate/sdk)', plugins: [FIXTURES.find((f) => f.key === 'as_sdk').path] },
    { key: 'c', label: 'wasmgate + headers-bench (C)', plugins: [FIXTURES.find((f) => f.key === 'c').path] },
  ];
}

/**
 * The workers section: nginx (worker_processes) and wasmgate (--workers), with and without the Go
 * plugin, each with one worker on the proxy's own CPU and with two workers on two CPUs.
 */
function workerVariants(layout) {
  const go = FIXTURES.find((f) => f.key === 'go').path;
  const out = [];
  for (const [base, label, what] of [['nginx', 'nginx proxy_pass', { kind: 'nginx' }], ['none', 'wasmgate, no plugin', { plugins: [] }], ['go', 'wasmgate + headers-bench (Go)', { plugins: [go] }]]) {
    for (const workers of [1, 2]) {
      out.push({ key: `${base}_w${workers}`, base, baseLabel: label, label: `${label}, ${workers} worker${workers > 1 ? 's' : ''}`, workers, cpus: workers === 1 ? layout.proxy : layout.proxy2, ...what });
    }
  }
  return out;
}

/** CPU numbers of a taskset list such as "0-1" or "0,2-3". */
const cpuSet = (list) => new Set(String(list ?? '').split(',').filter(Boolean).flatMap((r) => {
  const [a, b = a] = r.split('-').map(Number);
  return Array.from({ length: b - a + 1 }, (_, k) => a + k);
}));

/** Where the workers section runs what, in words (also in the results). */
function workersPlacement(layout) {
  if (!layout.pinned) return 'not pinned (taskset missing or a single core): the kernel places the proxy, the origin and wrk';
  const two = cpuSet(layout.proxy2);
  const shared = [...new Set([...cpuSet(layout.origin), ...cpuSet(layout.load)])].filter((c) => two.has(c)).sort();
  const with_ = [cpuSet(layout.origin).has(shared[0]) ? 'the origin' : null, cpuSet(layout.load).has(shared[0]) ? 'wrk' : null].filter(Boolean).join(' and ');
  return `1 worker: the proxy on CPU ${layout.proxy}; 2 workers: the proxy on CPUs ${layout.proxy2}; the origin (nginx, 1 worker) on CPU ${layout.origin} and wrk on CPU ${layout.load} throughout`
    + (shared.length ? `, so with 2 workers the proxy shares CPU ${shared.join(',')} with ${with_}` : '');
}

async function startServers(layout, list) {
  rmSync(join(TMP, 'servers'), { recursive: true, force: true });
  const prefix = join(TMP, 'servers');
  mkdirSync(prefix, { recursive: true });
  const originPort = await freePort();
  const origin = start(pinned(layout.origin, nginxArgv(originConfig(prefix, originPort))));
  children.add(origin);
  await waitForPort(originPort, 10_000, origin);
  const procs = {};
  let n = 0;
  for (const v of list) {
    v.port = await freePort();
    if (v.kind === 'nginx') {
      const conf = proxyConfig(prefix, v.port, originPort, { workers: v.workers ?? 1, name: n === 0 ? 'proxy' : `proxy-${v.key}` });
      n++;
      procs[v.key] = start(pinned(v.cpus ?? layout.proxy, nginxArgv(conf)));
    } else if (v.kind === 'peer') {
      procs[v.key] = start(pinned(v.cpus ?? layout.proxy, [NODE, join(REPO_ROOT, 'bench/peers', v.script), String(v.port), String(originPort)]), { cwd: REPO_ROOT });
    } else {
      const dir = gatewayConfig(prefix, v.key, { port: v.port, adminPort: await freePort(), originPort, plugins: v.plugins });
      // --workers explicitly: the default is one worker per CPU.
      procs[v.key] = start(pinned(v.cpus ?? layout.proxy, [NODE, join(REPO_ROOT, 'packages/gateway/bin/wasmgate.js'), 'serve', '--config', dir, '--no-watch', '--log-level', 'warn', '--workers', String(v.workers ?? 1)]), { cwd: REPO_ROOT, env: { ...process.env, ...v.env } });
    }
    children.add(procs[v.key]);
  }
  await Promise.all(list.map((v) => waitForPort(v.port, 60_000, procs[v.key])));
  for (const v of list) {
    const r = await fetch(`http://127.0.0.1:${v.port}/check`);
    const body = await r.text();
    if (r.status !== 200 || body !== 'ok\n') throw new Error(`${v.key}: GET /check answered ${r.status} ${JSON.stringify(body.slice(0, 200))}`);
  }
  return { origin, procs };
}

function wrk(layout, port, seconds) {
  const argv = measuringCpu(pinned(layout.load, ['wrk', '-t1', `-c${WRK_CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]));
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const requests = num(/(\d+) requests in/);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  return { rps: num(/Requests\/sec:\s+([\d.]+)/), requests, non2xx: Number(errors ?? 0), socketErrors: socketErrors ?? null, wrkCpuSeconds: childCpuSeconds(r.stderr) };
}

/**
 * Closed-loop throughput with wrk, `rounds` times per variant (interleaved). Requests/s is the best
 * round (on a shared machine a slow round means interference, not a slower proxy); CPU per request
 * is the median round's.
 */
async function throughput(layout, list, procs, { tag = 'throughput', originPid } = {}) {
  const runs = Object.fromEntries(list.map((v) => [v.key, []]));
  for (let r = 0; r < PLAN.wrkRounds; r++) {
    for (const v of list) {
      const quietBefore = await quietMoment(PLAN.quietWaitMs);
      log(`${tag} (round ${r + 1}/${PLAN.wrkRounds}, wrk -c${WRK_CONNECTIONS}, ${PLAN.wrkS} s): ${v.label}`);
      wrk(layout, v.port, PLAN.wrkWarmS);
      const pid = procs[v.key].pid;
      const c0 = cpuSeconds(pid);
      const o0 = originPid ? cpuSeconds(originPid) : 0;
      const m0 = machineBusySeconds();
      const w = wrk(layout, v.port, PLAN.wrkS);
      const c1 = cpuSeconds(pid);
      // With originPid: the CPU the origin, wrk, the whole machine (cores busy) and everything else
      // on it (other work, competing with the runs) used during the run.
      const side = {};
      side.quiet_wait_other_cores = quietBefore;
      if (originPid) {
        side.origin_cpu_util = round((cpuSeconds(originPid) - o0) / PLAN.wrkS, 2);
        side.wrk_cpu_util = round(w.wrkCpuSeconds / PLAN.wrkS, 2);
        side.machine_busy_cores = round((machineBusySeconds() - m0) / PLAN.wrkS, 2);
        side.other_cores = round(Math.max(0, side.machine_busy_cores - (c1 - c0) / PLAN.wrkS - side.origin_cpu_util - side.wrk_cpu_util), 2);
      }
      runs[v.key].push({ ...w, rps: round(w.rps, 0), proxy_cpu_util: round((c1 - c0) / PLAN.wrkS, 2), cpu_us_per_req_saturated: round(((c1 - c0) / w.requests) * 1e6, 1), ...side });
    }
  }
  return Object.fromEntries(list.map((v) => {
    const rs = runs[v.key];
    const best = rs.reduce((a, b) => (b.rps > a.rps ? b : a));
    if (best.other_cores > RULES.MAX_BACKGROUND_CORES) log(`  ${v.key}: other work used ${best.other_cores} cores during its best round (> ${RULES.MAX_BACKGROUND_CORES}): flagged`);
    return [v.key, {
      ...best, cpu_us_per_req_saturated: median(rs.map((x) => x.cpu_us_per_req_saturated)),
      non2xx: rs.reduce((n, x) => n + x.non2xx, 0), rounds: rs,
    }];
  }));
}

/** CPU (in cores) used by everything else on the machine while `fn` ran, given what we used. */
async function measured(fn, ownPids, spinnerPids = []) {
  const b0 = machineBusySeconds();
  const o0 = ownPids.map((p) => cpuSeconds(p));
  const s0 = spinnerPids.map((p) => cpuSeconds(p));
  const t0 = Date.now();
  const out = await fn();
  const wall = (Date.now() - t0) / 1000;
  const own = ownPids.reduce((sum, p, i) => sum + cpuSeconds(p) - o0[i], 0) + (out.selfCpuSeconds ?? 0);
  out.spinnerCores = round(spinnerPids.reduce((sum, p, i) => sum + cpuSeconds(p) - s0[i], 0) / wall, 2);
  out.backgroundCores = round(Math.max(0, machineBusySeconds() - b0 - own) / wall - out.spinnerCores, 2);
  return out;
}

/** Waits (bounded) for a moment when the rest of the machine uses under half a core. */
async function quietMoment(maxWaitMs) {
  const until = Date.now() + maxWaitMs;
  for (;;) {
    const b0 = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 500));
    const busy = (machineBusySeconds() - b0) / 0.5;
    if (busy < 0.5 || Date.now() >= until) return round(busy, 2);
  }
}

async function loadRun(layout, v, procs, originPid, spinners = []) {
  const argv = pinned(layout.load, [NODE, join(REPO_ROOT, 'bench/lib/loadgen.mjs'), JSON.stringify({ port: v.port, rate: RATE, durationMs: PLAN.fixedMs, warmupMs: PLAN.warmMs })]);
  const pid = procs[v.key].pid;
  const c0 = cpuSeconds(pid);
  const res = await measured(async () => JSON.parse((await runAsync(argv)).trim().split('\n').at(-1)), [pid, originPid], spinners.map((c) => c.pid));
  res.proxyCpu = cpuSeconds(pid) - c0;
  return res;
}

/** Runs fn with the idle spinners up (when `spin`), and always stops them afterwards. */
async function withSpinners(spin, layout, fn) {
  const spinners = spin ? startIdleSpinners(layout.cores) : [];
  for (const c of spinners) children.add(c);
  try {
    return await fn(spinners);
  } finally {
    for (const c of spinners) {
      await stop(c);
      children.delete(c);
    }
  }
}

/**
 * Fixed-rate runs. Each plugin variant runs right after a run of the no-plugin gateway, so every
 * added-latency figure compares two runs made under the same conditions; nginx runs on its own.
 * With `spin`, idle CPUs are kept from halting (see startIdleSpinners).
 */
async function fixedRate(layout, list, procs, originPid, { spin, rounds }) {
  const acc = Object.fromEntries(list.map((v) => [v.key, { service: new Histogram(), corrected: new Histogram(), runs: [], cpu: 0, sent: 0, errors: 0, non2xx: 0, unanswered: 0 }]));
  const record = (v, res) => {
    const a = acc[v.key];
    a.service.merge(Histogram.fromJSON(res.histograms.service));
    a.corrected.merge(Histogram.fromJSON(res.histograms.corrected));
    a.runs.push({ p50: res.service_us.p50, p99: res.service_us.p99, achievedRate: res.achievedRate, late: res.late, backgroundCores: res.backgroundCores });
    a.cpu += res.proxyCpu;
    a.sent += res.sent;
    a.errors += res.errors;
    a.non2xx += res.non2xx;
    a.unanswered += res.unanswered;
  };
  const none = list.find((v) => v.key === 'none');
  const plugins = list.filter((v) => v.plugins?.length);
  const pairs = Object.fromEntries(plugins.map((v) => [v.key, []]));
  const what = `${RATE}/s, ${PLAN.fixedMs / 1000} s after ${PLAN.warmMs / 1000} s warm-up${spin ? ', idle CPUs kept busy' : ', CPUs may idle'}`;
  for (let r = 0; r < rounds; r++) {
    for (const v of list.filter((x) => x.kind === 'nginx' || x.kind === 'peer' || x.standalone)) {
      await quietMoment(PLAN.quietWaitMs);
      log(`fixed rate (round ${r + 1}/${rounds}, ${what}): ${v.label}`);
      record(v, await withSpinners(spin, layout, (sp) => loadRun(layout, v, procs, originPid, sp)));
    }
    for (const v of plugins) {
      await quietMoment(PLAN.quietWaitMs);
      log(`fixed rate (round ${r + 1}/${rounds}, ${what}): ${none.label}, then ${v.label}`);
      const [a, b] = await withSpinners(spin, layout, async (sp) => [await loadRun(layout, none, procs, originPid, sp), await loadRun(layout, v, procs, originPid, sp)]);
      record(none, a);
      record(v, b);
      pairs[v.key].push({ p50: round(b.service_us.p50 - a.service_us.p50, 1), p99: round(b.service_us.p99 - a.service_us.p99, 1), backgroundCores: round(Math.max(a.backgroundCores, b.backgroundCores), 2) });
    }
  }
  const us = (h, p) => round(h.percentile(p) / 1000, 1);
  return Object.fromEntries(list.map((v) => {
    const a = acc[v.key];
    return [v.key, {
      requests: a.service.total, errors: a.errors, non2xx: a.non2xx, unanswered: a.unanswered,
      p50_us: us(a.service, 50), p90_us: us(a.service, 90), p99_us: us(a.service, 99), p999_us: us(a.service, 99.9), mean_us: round(a.service.mean / 1000, 1),
      corrected_p50_us: us(a.corrected, 50), corrected_p99_us: us(a.corrected, 99),
      runs: a.runs,
      pairs: pairs[v.key],
      cpu_us_per_req: round((a.cpu / a.sent) * 1e6, 1),
    }];
  }));
}

async function overSockets(layout) {
  const list = WORKERS_ONLY ? [] : variants();
  const wlist = workerVariants(layout);
  log(`starting origin${list.length ? `, nginx proxy and ${list.length - 1} wasmgate variants` : ''}, and the workers section's ${wlist.length} proxies`);
  const { origin, procs } = await startServers(layout, [...list, ...wlist]);
  try {
    const spin = args.spin;
    const tp = list.length ? await throughput(layout, list, procs, { originPid: origin.pid }) : {};
    const fixed = list.length ? await fixedRate(layout, list, procs, origin.pid, { spin, rounds: PLAN.rounds }) : {};
    log(`workers section: ${workersPlacement(layout)}`);
    const wtp = await throughput(layout, wlist, procs, { tag: 'workers', originPid: origin.pid });
    const mem = Object.fromEntries([...list, ...wlist].map((v) => [v.key, memory(procs[v.key].pid)]));
    return { list, tp, fixed, mem, spin, workers: { list: wlist, tp: wtp } };
  } finally {
    await Promise.all([origin, ...Object.values(procs)].map((c) => stop(c)));
  }
}

// ---- results --------------------------------------------------------------------------------------

/** The workers section: each proxy with 1 and 2 workers, and the 2-vs-1 ratios. */
function summarizeWorkers({ list, tp }, mem, layout) {
  const variantsOut = Object.fromEntries(list.map((v) => {
    const t = tp[v.key];
    return [v.key, {
      label: v.label, proxy: v.baseLabel, workers: v.workers, cpus: v.cpus ?? null,
      rps: t.rps, rps_rounds: t.rounds.map((x) => x.rps), other_cores_rounds: t.rounds.map((x) => x.other_cores),
      proxy_cpu_util: t.proxy_cpu_util, cpu_us_per_req_saturated: t.cpu_us_per_req_saturated,
      origin_cpu_util: t.origin_cpu_util, wrk_cpu_util: t.wrk_cpu_util, machine_busy_cores: t.machine_busy_cores, other_cores: t.other_cores,
      wrk_non2xx: t.non2xx, wrk_socket_errors: t.socketErrors, rss_mib: mem[v.key].rssMiB,
    }];
  }));
  const scaling = {};
  for (const v of list.filter((x) => x.workers === 2)) {
    const one = variantsOut[`${v.base}_w1`];
    const two = variantsOut[v.key];
    scaling[v.base] = {
      label: v.baseLabel,
      rps_2_vs_1: round(two.rps / one.rps, 3),
      cpu_us_per_req_2_vs_1: round(two.cpu_us_per_req_saturated / one.cpu_us_per_req_saturated, 3),
      // Per round: the 2-worker run over the 1-worker run just before it (same conditions, roughly).
      rps_2_vs_1_rounds: two.rps_rounds.map((x, k) => round(x / one.rps_rounds[k], 2)),
      // The 1-worker run must have been proxy-bound and both free of background load; 2 workers
      // cannot saturate two cores here (they share one with the origin and wrk), so only its
      // background load is checked.
      invalid: [
        ...throughputProblems(`${v.baseLabel}, 1 worker`, tp[`${v.base}_w1`]),
        ...(two.other_cores > RULES.MAX_BACKGROUND_CORES ? [`background load ${two.other_cores} cores during 2 workers (> ${RULES.MAX_BACKGROUND_CORES})`] : []),
      ].join('; ') || null,
    };
  }
  return {
    placement: { description: workersPlacement(layout), proxy_1_worker_cpus: layout.proxy ?? null, proxy_2_workers_cpus: layout.proxy2 ?? null, origin_cpus: layout.origin ?? null, load_cpus: layout.load ?? null },
    variants: variantsOut,
    scaling,
  };
}

/** Results of `--workers-only`: the workers section alone. */
function summarizeWorkersOnly({ workers, mem, spin }, layout, meta) {
  const w = summarizeWorkers(workers, mem, layout);
  return {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    workers_only: true,
    rules: RULES,
    machine: { cores: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', ...meta },
    layout: { pinned: layout.pinned, proxy_cpu: layout.proxy ?? null, proxy2_cpus: layout.proxy2 ?? null, origin_cpu: layout.origin ?? null, load_cpu: layout.load ?? null },
    plan: { wrkRounds: PLAN.wrkRounds, wrkWarmS: PLAN.wrkWarmS, wrkS: PLAN.wrkS, quietWaitMs: PLAN.quietWaitMs, wrk_connections: WRK_CONNECTIONS, idle_cpus_kept_busy: spin },
    commands: { workers: `node bench/run.mjs --workers-only${QUICK ? ' --quick' : ''}` },
    scaling_2_vs_1: w.scaling,
    workers: w,
  };
}

/**
 * Why a throughput run cannot back a comparison (empty when it can): the proxy was not saturated
 * (the load side set the pace), or other work on the machine competed with it.
 */
function throughputProblems(label, t, workers = 1) {
  const why = [];
  if (!(t.proxy_cpu_util >= RULES.SATURATED * workers)) why.push(`${label} not saturated (proxy CPU ${Math.round(t.proxy_cpu_util * 100)} % < ${Math.round(RULES.SATURATED * 100 * workers)} %)`);
  if (t.other_cores > RULES.MAX_BACKGROUND_CORES) why.push(`background load ${t.other_cores} cores during ${label} (> ${RULES.MAX_BACKGROUND_CORES})`);
  return why;
}

/**
 * The added latency of a plugin variant from its (no plugin, plugin) pairs: the median over the
 * pairs run with background load ≤ MAX_BACKGROUND_CORES, its spread (min..max), and why it is
 * invalid (fewer than MIN_PAIRS clean pairs, or negative).
 */
function addedLatency(pairs, k) {
  const clean = pairs.filter((x) => !(x.backgroundCores > RULES.MAX_BACKGROUND_CORES));
  const xs = clean.map((x) => x[k]);
  const value = xs.length ? round(median(xs), 1) : null;
  const spread = xs.length ? [Math.min(...xs), Math.max(...xs)] : null;
  let invalid = null;
  if (xs.length < RULES.MIN_PAIRS) invalid = `${xs.length} clean pair(s) of ${pairs.length} (need ≥ ${RULES.MIN_PAIRS}; a pair is dropped when other work used > ${RULES.MAX_BACKGROUND_CORES} cores)`;
  else if (value < 0) invalid = `negative (${value} µs, pairs ${spread[0]}..${spread[1]}): noise larger than the effect`;
  return { value, spread, clean: xs.length, pairs: pairs.length, invalid };
}

/** A target line: met / missed only from a valid measurement, otherwise invalid with the reason. */
function target(name, goal, value, unit, ok, invalid) {
  const status = invalid ? 'invalid' : ok(value) ? 'met' : 'missed';
  return { name, target: goal, value, unit, status, met: status === 'met', ...(invalid ? { invalid } : {}) };
}

function summarize({ micro, cold, sharedState }, { list, tp, fixed, mem, spin, workers }, layout, meta) {
  const none = fixed.none;
  const variantsOut = {};
  for (const v of list) {
    const f = fixed[v.key];
    const plugin = v.kind !== 'nginx' && v.kind !== 'peer' && (v.plugins?.length ?? 0) > 0;
    const addedP50 = plugin ? addedLatency(f.pairs, 'p50') : null;
    const addedP99 = plugin ? addedLatency(f.pairs, 'p99') : null;
    const problems = throughputProblems(v.label, tp[v.key]);
    variantsOut[v.key] = {
      label: v.label,
      kind: v.kind ?? 'wasmgate',
      plugins: v.plugins?.length ?? 0,
      rps: tp[v.key].rps,
      rps_rounds: tp[v.key].rounds.map((x) => x.rps),
      cpu_us_per_req_rounds: tp[v.key].rounds.map((x) => x.cpu_us_per_req_saturated),
      other_cores_rounds: tp[v.key].rounds.map((x) => x.other_cores),
      other_cores: tp[v.key].other_cores,
      saturated: tp[v.key].proxy_cpu_util >= RULES.SATURATED,
      throughput_problems: problems,
      proxy_cpu_util: tp[v.key].proxy_cpu_util,
      cpu_us_per_req_saturated: tp[v.key].cpu_us_per_req_saturated,
      wrk_non2xx: tp[v.key].non2xx,
      wrk_socket_errors: tp[v.key].socketErrors,
      latency_us: { p50: f.p50_us, p90: f.p90_us, p99: f.p99_us, p999: f.p999_us, mean: f.mean_us, corrected_p50: f.corrected_p50_us, corrected_p99: f.corrected_p99_us },
      fixed_rate: { rate: RATE, requests: f.requests, errors: f.errors, non2xx: f.non2xx, unanswered: f.unanswered, runs: f.runs },
      cpu_us_per_req: f.cpu_us_per_req,
      rss_mib: mem[v.key].rssMiB,
      peak_rss_mib: mem[v.key].peakMiB,
      ...(plugin ? {
        // The median over back-to-back (no plugin, plugin) pairs; the difference of the merged
        // histograms is kept as well.
        // null when invalid (added_latency_invalid says why); never a negative figure.
        added_latency_us_p50: addedP50.invalid ? null : addedP50.value,
        added_latency_us_p99: addedP99.invalid ? null : addedP99.value,
        added_latency_us_p50_spread: addedP50.spread,
        added_latency_us_p99_spread: addedP99.spread,
        added_latency_invalid: { p50: addedP50.invalid, p99: addedP99.invalid },
        added_latency_us_p50_raw: addedP50.value,
        added_latency_us_p99_raw: addedP99.value,
        added_latency_us_pairs: f.pairs,
        added_latency_us_p50_merged: round(f.p50_us - none.p50_us, 1),
        added_latency_us_p99_merged: round(f.p99_us - none.p99_us, 1),
        added_cpu_us_per_req: round(f.cpu_us_per_req - none.cpu_us_per_req, 1),
        // Paired: round k's difference with round k of no plugin (measured shortly before), median
        // over rounds. A slow stretch of the machine then moves both sides of a pair together.
        added_cpu_us_per_req_saturated: round(median(tp[v.key].rounds.map((x, k) => x.cpu_us_per_req_saturated - tp.none.rounds[k].cpu_us_per_req_saturated)), 1),
        ratio_plugin_vs_none: round(tp[v.key].rps / tp.none.rps, 3),
        ratio_plugin_vs_none_cpu: round(tp.none.cpu_us_per_req_saturated / tp[v.key].cpu_us_per_req_saturated, 3),
      } : {}),
      ...(v.kind !== 'nginx' ? {
        ratio_vs_nginx: round(tp[v.key].rps / tp.nginx.rps, 3),
        ratio_vs_nginx_cpu: round(tp.nginx.cpu_us_per_req_saturated / tp[v.key].cpu_us_per_req_saturated, 3),
      } : {}),
    };
  }
  const rps = Object.fromEntries(Object.entries(variantsOut).map(([k, v]) => [k, v.rps]));
  const pick = (k) => Object.fromEntries(Object.entries(variantsOut).filter(([, v]) => v[k] !== undefined).map(([key, v]) => [key, v[k]]));
  const workersOut = summarizeWorkers(workers, mem, layout);
  const go = variantsOut.go;
  const both = (a, b) => [...variantsOut[a].throughput_problems, ...variantsOut[b].throughput_problems].join('; ') || null;
  const rounds = (a, b) => variantsOut[a].rps_rounds.map((x, k) => round(x / variantsOut[b].rps_rounds[k], 2));
  /** a's CPU per request over b's per round (round k of a and of b ran a minute apart at most): the spread. */
  const cpuRounds = (a, b) => variantsOut[a].cpu_us_per_req_rounds.map((x, k) => round(x / variantsOut[b].cpu_us_per_req_rounds[k], 2));
  /** a's CPU per request over b's, at saturation: the median of the per-round ratios (paired, as the added figures). */
  const cpuRatio = (a, b) => round(median(variantsOut[a].cpu_us_per_req_rounds.map((x, k) => x / variantsOut[b].cpu_us_per_req_rounds[k])), 3);
  const addedRounds = (a) => variantsOut[a].cpu_us_per_req_rounds.map((x, k) => round(x - variantsOut.none.cpu_us_per_req_rounds[k], 1));
  const targets = [
    target('added latency, one headers-bench plugin (Go), p50', '≤ 20 µs', go.added_latency_us_p50_raw, 'µs', (x) => x <= 20, go.added_latency_invalid.p50),
    { ...target('wasmgate 1-core throughput, no plugin, vs nginx proxy_pass', '≥ 0.6×', variantsOut.none.ratio_vs_nginx, '×', (x) => x >= 0.6, both('none', 'nginx')), rounds: rounds('none', 'nginx'), cpu_ratio: variantsOut.none.ratio_vs_nginx_cpu },
    { ...target('throughput with one headers-bench plugin (Go) vs no plugin', '≥ 0.9×', go.ratio_plugin_vs_none, '×', (x) => x >= 0.9, both('go', 'none')), rounds: rounds('go', 'none'), cpu_ratio: go.ratio_plugin_vs_none_cpu },
    ...GO_FIXTURES.map((fx) => target(`cold start, Go ${fx.key} (compile + instantiate + start + configure)`, '≤ 150 ms', cold[fx.key].total_ms, 'ms', (x) => x <= 150, null)),
    // The speed goals (CPU per request at saturation, same run; a ratio or an added figure counts
    // only when both sides were saturated and the difference is not negative).
    // The lean HTTP/1 server is kept only while it is faster by a clear margin (issue 13).
    { ...target('lean HTTP/1 server: wasmgate no plugin, CPU per request vs the same on node:http', '≤ 0.9×', cpuRatio('none', 'none_node_http'), '×', (x) => x <= 0.9, both('none', 'none_node_http')), rounds: cpuRounds('none', 'none_node_http') },
    { ...target('wasmgate no plugin, CPU per request vs the bare Node proxy (node:http + undici Pool)', '≤ 1.1×', cpuRatio('none', 'peer_undici'), '×', (x) => x <= 1.1, both('none', 'peer_undici')), rounds: cpuRounds('none', 'peer_undici') },
    ...['peer_undici', 'peer_http_proxy', 'peer_fastify'].map((peer) => ({
      ...target(
        `wasmgate no plugin ahead of ${variantsOut[peer].label.replace(/^Node peer: /, '')} (its CPU per request over ours)`, '≥ 1.0×',
        cpuRatio(peer, 'none'), '×', (x) => x >= 1.0, both('none', peer)),
      rounds: cpuRounds(peer, 'none'),
    })),
    ...[['go', 15], ['c', 5]].map(([key, goal]) => ({
      ...target(
        `added CPU per request, ${variantsOut[key].label.replace(/^wasmgate \+ /, '')}`, `≤ ${goal} µs`, variantsOut[key].added_cpu_us_per_req_saturated, 'µs',
        (x) => x <= goal, both(key, 'none') ?? (variantsOut[key].added_cpu_us_per_req_saturated < 0 ? 'negative: noise larger than the effect' : null)),
      rounds: addedRounds(key),
    })),
    // Host time for headers-bench's 60 hostcalls: the C callback is an upper bound (its own code is
    // a few loops; the profile puts ~90 % of the callback in the host).
    target('one headers-bench callback, C (60 hostcalls: host time, upper bound), host alone', '≤ 5 µs', micro.callback_ns.c / 1000, 'µs', (x) => x <= 5, null),
  ];
  // Background load of every run: other work's cores during each throughput round and fixed-rate run.
  const bgTp = list.flatMap((v) => tp[v.key].rounds.map((x) => x.other_cores));
  const bgFixed = list.flatMap((v) => fixed[v.key].runs.map((x) => x.backgroundCores));
  const all = [...bgTp, ...bgFixed].filter((x) => Number.isFinite(x));
  const flagged = all.filter((x) => x > RULES.MAX_BACKGROUND_CORES).length;
  const background = {
    max_background_cores: RULES.MAX_BACKGROUND_CORES,
    throughput_median_cores: round(median(bgTp), 2), throughput_max_cores: round(Math.max(...bgTp), 2),
    fixed_rate_median_cores: round(median(bgFixed), 2), fixed_rate_max_cores: round(Math.max(...bgFixed), 2),
    runs: all.length, flagged_runs: flagged, flagged: flagged > 0,
  };
  return {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    machine: { cores: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', ...meta },
    layout: { pinned: layout.pinned, proxy_cpu: layout.proxy ?? null, proxy2_cpus: layout.proxy2 ?? null, origin_cpu: layout.origin ?? null, load_cpu: layout.load ?? null },
    plan: { ...PLAN, rate: RATE, wrk_connections: WRK_CONNECTIONS, idle_cpus_kept_busy: spin },
    commands: {
      full: 'npm run bench',
      quick: 'npm run bench -- --quick',
      micro: 'node bench/lib/micro.mjs',
      shared_state: 'node bench/lib/shared-state.mjs',
      observability: 'node bench/lib/observability.mjs',
      cold_start: 'node bench/lib/cold-start.mjs fixtures/go/headers-bench/plugin.wasm',
      workers: 'node bench/run.mjs --workers-only',
    },
    rps,
    ratio_vs_nginx: pick('ratio_vs_nginx'),
    ratio_vs_nginx_cpu: pick('ratio_vs_nginx_cpu'),
    ratio_plugin_vs_none: pick('ratio_plugin_vs_none'),
    ratio_plugin_vs_none_cpu: pick('ratio_plugin_vs_none_cpu'),
    added_latency_us_p50: pick('added_latency_us_p50'),
    added_latency_us_p99: pick('added_latency_us_p99'),
    cold_start_ms: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, v.total_ms])),
    callback_ns: micro.callback_ns,
    stream_ns: micro.stream_ns,
    rules: RULES,
    background,
    targets,
    variants: variantsOut,
    scaling_2_vs_1: workersOut.scaling,
    workers: workersOut,
    host: { micro, cold_start: cold, shared_state: sharedState },
  };
}

async function main() {
  checkNode();
  ensureTools();
  mkdirSync(TMP, { recursive: true });
  // The SDK-built headers-bench is compiled from source here (into bench/results/tmp/, not committed).
  for (const [key, ms] of Object.entries(await ensureBuiltFixtures({ force: true }))) log(`built the ${key} fixture with @wasmgate/sdk (${ms} ms)`);
  const layout = cpuLayout();
  const load0 = loadAverage();
  log(`${layout.cores} cores; ${layout.pinned ? `proxy on CPU ${layout.proxy} (with 2 workers on ${layout.proxy2}), origin on ${layout.origin}, load generators on ${layout.load}` : 'not pinned'}; mode ${QUICK ? 'quick' : 'full'}${WORKERS_ONLY ? ', workers section only' : ''}`);
  const hostResults = WORKERS_ONLY ? undefined : hostBenchmarks(layout);
  const socketResults = await overSockets(layout);
  const meta = {
    node: process.version,
    nginx: nginxVersion() ?? null,
    wrk: (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout || '').split('\n')[0].split(' Copyright')[0].trim(),
    undici: JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/undici/package.json'), 'utf8')).version,
    load_average_start: load0,
    load_average_end: loadAverage(),
    duration_s: Math.round((Date.now() - started) / 1000),
  };
  const results = WORKERS_ONLY ? summarizeWorkersOnly(socketResults, layout, meta) : summarize(hostResults, socketResults, layout, meta);
  if (results.background?.flagged) log(`background load: ${results.background.flagged_runs} of ${results.background.runs} runs had other work above ${RULES.MAX_BACKGROUND_CORES} cores (max ${Math.max(results.background.throughput_max_cores, results.background.fixed_rate_max_cores)}): flagged`);
  for (const t of results.targets ?? []) log(`target: ${t.name}: ${t.value} ${t.unit} (${t.target}): ${t.status}${t.invalid ? `: ${t.invalid}` : ''}`);
  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${OUT}`);
  if (WORKERS_ONLY) {
    const docs = join(REPO_ROOT, 'docs/performance.md');
    if (WRITE_DOCS) {
      writeFileSync(docs, replaceWorkersSection(readFileSync(docs, 'utf8'), results));
      log('replaced the workers section of docs/performance.md');
    }
    process.stdout.write(`${renderWorkers(results)}\n`);
    return;
  }
  const md = renderMarkdown(results);
  if (WRITE_DOCS) {
    // Sections other benches own (bench/isolation.mjs writes "## Isolation ...") are carried over.
    const docs = join(REPO_ROOT, 'docs/performance.md');
    const old = readFileSync(docs, 'utf8');
    const at = old.search(/^## Isolation/m);
    writeFileSync(docs, at >= 0 ? `${md.trimEnd()}\n\n${old.slice(at)}` : md);
    log('wrote docs/performance.md');
  }
  process.stdout.write(`${md.split('<!-- table:end -->')[0].split('<!-- table:start -->')[1] ?? ''}\n`);
}

try {
  await main();
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.stack : e}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
