/**
 * Hot reload under steady load, with 2 data-plane workers: several keep-alive clients send requests back to back on loopback
 * while the test performs 52 reloads, alternating a config change and a binary change, triggered
 * alternately by the file watcher and by POST /reload, written alternately in place and by
 * write-and-rename (as editors and `go build` do).
 *
 * One WasmPlugin loads the bed's plugin.wasm, which is either
 *  - mock-response: answers every request itself with `content` (v1, v2, … from defaultConfig), or
 *  - kitchen-sink: with `x-fixture-mode: properties`, passes the request to the upstream (which
 *    answers `upstream ok`) and adds response header x-prop-plugin-root-id = spec.pluginName (r1, r2, …).
 * A config change bumps both content and pluginName, so every reload has an observable behaviour,
 * whichever binary is loaded. Each client's requests run one after another, so the behaviours it
 * sees must move forward through the steps and never back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Cleanup, ingress, poll, send, service, startUpstream, wasmPlugin, type Reply } from '../helpers/gateway.js';
import { KITCHEN_SINK, MOCK_RESPONSE, startReloadBed, until, type WriteStyle } from '../helpers/reload.js';

const RELOADS = 52;
const CLIENTS = 4;
/** Upper bound on client requests, so a runaway loop cannot hang the suite. */
const MAX_REQUESTS = 500_000;

test(`${RELOADS} reloads under steady keep-alive load: no failed request, behaviour switches after each`, { timeout: 180_000 }, async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  let n = 1;
  let binary: 'mock' | 'ks' = 'mock';
  const docs = (plugin: string) => [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('switch', plugin, { pluginName: `r${n}`, defaultConfig: { content: `v${n}` } }),
  ];
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs, workers: 2 });

  const signature = (r: Reply) => (r.body === 'upstream ok' ? `ks:${String(r.headers['x-prop-plugin-root-id'])}` : `mock:${r.body}`);
  const expected = () => (binary === 'mock' ? `mock:v${n}` : `ks:r${n}`);
  const stepOf = new Map<string, number>([[expected(), 0]]);

  // ---- the load ----------------------------------------------------------------------------------
  const stats = { requests: 0, non2xx: 0, connectionErrors: 0, unknownBehaviour: 0, wentBack: 0 };
  const problems: string[] = [];
  let stop = false;
  const client = async (id: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let last = 0;
    try {
      while (!stop && stats.requests < MAX_REQUESTS) {
        let r: Reply;
        try {
          r = await send(bed.port, { path: `/c${id}`, headers: { 'x-fixture-mode': 'properties' }, agent, timeoutMs: 10_000 });
        } catch (e) {
          stats.connectionErrors++;
          problems.push(`client ${id}: ${(e as Error).message}`);
          continue;
        }
        stats.requests++;
        if (r.status < 200 || r.status > 299) {
          stats.non2xx++;
          problems.push(`client ${id}: ${r.status} ${r.body.slice(0, 200)}`);
          continue;
        }
        const s = stepOf.get(signature(r));
        if (s === undefined) {
          stats.unknownBehaviour++;
          problems.push(`client ${id}: unexpected behaviour ${signature(r)}`);
        } else if (s < last) {
          stats.wentBack++;
          problems.push(`client ${id}: went back from step ${last} to ${s} (${signature(r)})`);
        } else last = s;
      }
    } finally {
      agent.destroy();
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
  await until('the clients to start', () => stats.requests >= CLIENTS * 5);

  // ---- the reloads -------------------------------------------------------------------------------
  const started = Date.now();
  const counts = { config: 0, binary: 0, watch: 0, post: 0, rename: 0, 'in-place': 0 };
  const switchMs: number[] = [];
  let minRequestsPerStep = Infinity;
  await bed.gateway.settle();
  const watcherLines = () => bed.logs.filter((l) => l.includes('file changed:') && (l.includes(') ok:') || l.includes('skipped'))).length;
  try {
    for (let step = 1; step <= RELOADS; step++) {
      const kind = step % 2 === 1 ? 'config' : 'binary';
      const trigger = Math.floor((step - 1) / 2) % 2 === 0 ? 'watch' : 'post';
      const style: WriteStyle = Math.floor((step - 1) / 4) % 2 === 0 ? 'rename' : 'in-place';
      counts[kind]++;
      counts[trigger]++;
      counts[style]++;
      if (kind === 'config') n++;
      else binary = binary === 'mock' ? 'ks' : 'mock';
      const want = expected();
      stepOf.set(want, step);
      const generation = bed.gateway.generation.id;
      const requestsBefore = stats.requests;
      const watcherBefore = watcherLines();
      const t0 = Date.now();

      if (kind === 'config') bed.writeConfig(docs(bed.pluginFile), style);
      else bed.writePlugin(binary === 'mock' ? MOCK_RESPONSE : KITCHEN_SINK, style);

      if (trigger === 'post') {
        const r = await bed.admin('/reload', 'POST');
        assert.equal(r.status, 200, `step ${step}: ${r.body}`);
        assert.ok(r.json.generation > generation, `step ${step}: POST /reload swapped`);
      } else {
        const outcome = await bed.waitForGeneration(generation);
        assert.ok(outcome.ok, `step ${step}: ${JSON.stringify(outcome)}`);
        assert.match(outcome.trigger, /file changed: .*(gateway\.yaml|plugin\.wasm)/, `step ${step}`);
      }
      // The swap is done; wait (bounded) until a request shows the new behaviour.
      await poll(`step ${step}: ${want}`, async () => {
        const r = await send(bed.port, { path: '/probe', headers: { 'x-fixture-mode': 'properties' } });
        return signature(r) === want ? r : undefined;
      }, 5000, 5);
      switchMs.push(Date.now() - t0);
      // The watcher sees every write; after a POST-triggered step, let its (no-op) check run out
      // so each step starts quiet.
      if (trigger === 'post') await until(`step ${step}: the watcher's check`, () => watcherLines() > watcherBefore);
      await until(`step ${step}: client traffic`, () => stats.requests > requestsBefore);
      minRequestsPerStep = Math.min(minRequestsPerStep, stats.requests - requestsBefore);
    }
  } finally {
    stop = true;
    await Promise.all(clients);
  }
  const elapsed = Date.now() - started;
  await until('every old generation to drain and be released', () => bed.gateway.draining.length === 0);

  await bed.gateway.settle();
  const reloadLines = bed.logs.filter((l) => /reload \(.*\) ok:/.test(l));
  const report = {
    reloads: bed.gateway.reloadCount,
    reloadsByKind: { config: counts.config, binary: counts.binary },
    reloadsByTrigger: {
      'POST /reload': reloadLines.filter((l) => l.includes('reload (POST /reload')).length,
      'file watch': reloadLines.filter((l) => l.includes('reload (file changed:')).length,
    },
    writes: { rename: counts.rename, 'in-place': counts['in-place'] },
    watcherNoOps: bed.logs.filter((l) => l.includes('skipped: config and plugin files are as the last reload read them')).length,
    totalRequests: stats.requests,
    non2xx: stats.non2xx,
    connectionErrors: stats.connectionErrors,
    unexpectedBehaviour: stats.unknownBehaviour,
    wentBack: stats.wentBack,
    behaviourSwitched: `${switchMs.length}/${RELOADS}`,
    switchMs: { median: median(switchMs), max: Math.max(...switchMs) },
    minClientRequestsPerReload: minRequestsPerStep,
    durationMs: elapsed,
    reloadFailures: bed.gateway.reloadFailures,
  };
  console.log(`hot reload under load: ${JSON.stringify(report, null, 2)}`);

  assert.deepEqual(problems.slice(0, 10), []);
  assert.equal(stats.non2xx, 0);
  assert.equal(stats.connectionErrors, 0);
  assert.equal(stats.unknownBehaviour, 0);
  assert.equal(stats.wentBack, 0);
  assert.equal(switchMs.length, RELOADS);
  assert.ok(bed.gateway.reloadCount >= 50, `${bed.gateway.reloadCount} reloads`);
  assert.equal(bed.gateway.reloadFailures, 0);
  assert.ok(report.reloadsByTrigger['POST /reload'] >= RELOADS / 2 - 2, 'POST /reload triggered about half');
  assert.ok(report.reloadsByTrigger['file watch'] >= RELOADS / 2 - 2, 'the watcher triggered about half');
  assert.ok(minRequestsPerStep >= 1);
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}
