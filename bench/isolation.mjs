// What a spinning plugin costs everyone else: wasmgate serve (2 workers, by default) with a Go
// plugin that loops forever on one route (callTimeoutMs 100, FAIL_CLOSE) and a good route without
// plugins. Closed-loop keep-alive clients hammer the good route; a prober asks the admin /healthz
// every 20 ms. First a baseline, then a storm of 10 spinning requests per second. Prints good-route
// p50/p99/max, /healthz max, how each spin was answered, and the ratios.
//   npm run bench:isolation                       (2 workers, 5 s baseline, 10 s storm)
//   node bench/isolation.mjs --workers 1 --storm-s 30
// Loopback only, bounded in time; the gateway is stopped at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/fixtures.mjs';
import { freePort } from './lib/procs.mjs';

const { values: args } = parseArgs({ options: {
  workers: { type: 'string', default: '2' }, 'baseline-s': { type: 'string', default: '5' }, 'storm-s': { type: 'string', default: '10' },
  clients: { type: 'string', default: '4' }, 'spins-per-s': { type: 'string', default: '10' },
} });
// Ports chosen free at run time, so two runs at once cannot share them.
const PORT = await freePort();
const ADMIN = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-isolation-'));

const origin = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
await new Promise((r) => origin.listen(0, '127.0.0.1', r));
const docs = [
  { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', metadata: { name: 'origin', namespace: 'default' }, spec: { endpoints: [`127.0.0.1:${origin.address().port}`] } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'spin', namespace: 'default' }, spec: { rules: [{ http: { paths: [{ path: '/spin', pathType: 'Prefix', backend: { service: { name: 'origin', port: { number: 80 } } } }] } }] } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'good', namespace: 'default' }, spec: { rules: [{ http: { paths: [{ path: '/good', pathType: 'Prefix', backend: { service: { name: 'origin', port: { number: 80 } } } }] } }] } },
  { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'ks', namespace: 'default' },
    spec: { url: `file://${join(REPO_ROOT, 'fixtures/go/kitchen-sink/plugin.wasm')}`, wasmgate: { scope: { routes: ['spin'] }, limits: { callTimeoutMs: 100 } } } },
];
docs.forEach((d, i) => writeFileSync(join(dir, `${i}.yaml`), JSON.stringify(d)));

const gw = spawn(process.execPath, [join(REPO_ROOT, 'packages/gateway/bin/wasmgate.js'), 'serve', '--config', dir, '--listen', `127.0.0.1:${PORT}`,
  '--admin', `127.0.0.1:${ADMIN}`, '--workers', args.workers, '--no-watch', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
gw.stderr.on('data', (d) => { stderr += d; });
const deadline = Date.now() + 20_000;
while (!stderr.includes('serving on')) {
  if (Date.now() > deadline || gw.exitCode !== null) throw new Error(`gateway did not start:\n${stderr}`);
  await new Promise((r) => setTimeout(r, 50));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Number(args.clients) });
function get(port, path, headers = {}, useAgent = agent) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: useAgent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, code: res.headers['x-wasmgate-error'], ms: performance.now() - t0 }));
    });
    req.on('error', (e) => resolve({ status: 0, code: e.message, ms: performance.now() - t0 }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function phase(seconds, spinsPerS) {
  const good = [];
  const health = [];
  const spins = [];
  const end = Date.now() + seconds * 1000;
  const client = async () => { while (Date.now() < end) good.push(await get(PORT, '/good')); };
  const prober = async () => {
    while (Date.now() < end) {
      health.push(await get(ADMIN, '/healthz', {}, false));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const spinner = async () => {
    const pending = [];
    while (spinsPerS > 0 && Date.now() < end) {
      pending.push(get(PORT, '/spin', { 'x-fixture-mode': 'spin' }, false));
      await new Promise((r) => setTimeout(r, 1000 / spinsPerS));
    }
    spins.push(...(await Promise.all(pending)));
  };
  await Promise.all([...Array.from({ length: Number(args.clients) }, client), prober(), spinner()]);
  return { good, health, spins };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const summary = (name, r) => {
  const g = r.good.map((x) => x.ms);
  const errors = r.good.filter((x) => x.status !== 200).length;
  const codes = {};
  for (const s of r.spins) codes[`${s.status} ${s.code ?? ''}`.trim()] = (codes[`${s.status} ${s.code ?? ''}`.trim()] ?? 0) + 1;
  return {
    phase: name, goodRequests: g.length, goodErrors: errors,
    goodP50Ms: +pct(g, 50).toFixed(2), goodP99Ms: +pct(g, 99).toFixed(2), goodMaxMs: +Math.max(...g).toFixed(1),
    healthzProbes: r.health.length, healthzFailures: r.health.filter((x) => x.status !== 200).length,
    healthzMaxMs: +Math.max(...r.health.map((x) => x.ms)).toFixed(1),
    spins: r.spins.length, spinAnswers: codes, spinMaxMs: r.spins.length ? +Math.max(...r.spins.map((x) => x.ms)).toFixed(1) : null,
  };
};

try {
  await phase(1, 0); // warm-up
  const base = summary('baseline', await phase(Number(args['baseline-s']), 0));
  const storm = summary('storm', await phase(Number(args['storm-s']), Number(args['spins-per-s'])));
  console.log(JSON.stringify({ workers: Number(args.workers), clients: Number(args.clients), spinsPerS: Number(args['spins-per-s']), callTimeoutMs: 100, base, storm,
    ratios: { goodP50: +(storm.goodP50Ms / base.goodP50Ms).toFixed(2), goodP99: +(storm.goodP99Ms / base.goodP99Ms).toFixed(2) } }, null, 2));
} finally {
  agent.destroy();
  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));
  origin.close();
  rmSync(dir, { recursive: true, force: true });
}
