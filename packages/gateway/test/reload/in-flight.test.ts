/**
 * Requests in flight during a reload finish on the generation (config and VMs) they started on,
 * and that generation is released only once they have: a request paused in kitchen-sink's callout
 * across a binary change, and requests waiting for a slow upstream across config changes (the old
 * VM runs their response callbacks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Cleanup, ingress, listenServer, poll, send, service, startUpstream, wasmPlugin, type Reply } from '../helpers/gateway.js';
import { KITCHEN_SINK, MOCK_RESPONSE, startReloadBed, until } from '../helpers/reload.js';

test('a request paused in the old VM (callout pending) completes there after a binary change; then the old generation is released', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const held: http.ServerResponse[] = [];
  const callout = await listenServer(bag, http.createServer((req, res) => {
    req.resume();
    held.push(res);
  }));
  const docs = (plugin: string) => [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    service('slow', [`127.0.0.1:${callout.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', plugin, { defaultConfig: { calloutCluster: 'outbound|80||slow.default.svc.cluster.local', content: 'from mock-response' } }),
  ];
  const bed = await startReloadBed(bag, { plugin: KITCHEN_SINK, docs, watch: false });
  const old = bed.gateway.generation;

  const slow = send(bed.port, { path: '/slow', headers: { 'x-fixture-mode': 'callout' } });
  await until('the callout to reach the slow server', () => held.length === 1);
  assert.equal(await bed.gateway.inFlight(), 1);

  // Swap the binary: kitchen-sink → mock-response, which answers every request itself.
  bed.writePlugin(MOCK_RESPONSE);
  const r = await bed.admin('/reload', 'POST');
  assert.equal(r.status, 200, r.body);
  assert.notEqual(bed.gateway.generation, old);
  assert.equal((await send(bed.port, { path: '/new', headers: { 'x-fixture-mode': 'callout' } })).body, 'from mock-response', 'new requests get the new binary');
  assert.equal(held.length, 1, 'no callout from the new generation');

  const dump = await bed.admin('/config_dump');
  assert.deepEqual(dump.json.draining.map((d: { generation: number; inFlight: number }) => [d.generation, d.inFlight]), [[old.id, 1]]);

  held[0]!.writeHead(200, { 'content-type': 'text/plain' }).end('answer for the old VM');
  const reply = await slow;
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.body, 'upstream ok', 'kitchen-sink (the old binary) continued the request to the upstream');
  const seen = upstream.requests.find((q) => q.url === '/slow');
  assert.ok(seen, 'the upstream got the slow request');
  assert.equal(seen.headers['x-callout-body'], 'answer for the old VM');
  assert.equal(seen.headers['x-callout-status'], '200');

  await poll('the old generation to be released', async () => ((await bed.gateway.draining()).length === 0 ? true : undefined));
  await bed.gateway.settle();
  assert.ok(bed.logs.some((l) => l.includes(`generation ${old.id} drained and released`)));
});

test('slow upstream responses across two config reloads: each request ends on its own generation, each generation is released after its last request', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const held = new Map<string, http.ServerResponse>();
  const upstream = await startUpstream(bag, (seen, res) => {
    if (seen.url.startsWith('/slow')) held.set(seen.url, res);
    else res.writeHead(200).end('upstream ok');
  });
  let rootId = 'one';
  const docs = (plugin: string) => [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', plugin, { pluginName: rootId }),
  ];
  const bed = await startReloadBed(bag, { plugin: KITCHEN_SINK, docs, configPath: 'file', watch: false });
  const props = (path: string) => send(bed.port, { path, headers: { 'x-fixture-mode': 'properties' } });
  const rootOf = (r: Reply) => r.headers['x-prop-plugin-root-id'];

  const gen1 = bed.gateway.generation;
  const a = props('/slow-a');
  await until('request a at the upstream', () => held.has('/slow-a'));

  rootId = 'two';
  bed.writeConfig(docs(bed.pluginFile));
  assert.equal((await bed.admin('/reload', 'POST')).status, 200);
  const gen2 = bed.gateway.generation;
  const b = props('/slow-b');
  await until('request b at the upstream', () => held.has('/slow-b'));

  rootId = 'three';
  bed.writeConfig(docs(bed.pluginFile));
  assert.equal((await bed.admin('/reload', 'POST')).status, 200);
  assert.equal(rootOf(await props('/fast')), 'three');
  assert.deepEqual((await bed.gateway.draining()).map((d) => [d.generation, d.inFlight]), [[gen1.id, 1], [gen2.id, 1]]);

  // b (generation 2) finishes first: generation 2 goes, generation 1 stays.
  held.get('/slow-b')!.writeHead(200).end('b');
  const rb = await b;
  assert.equal(rb.status, 200);
  assert.equal(rootOf(rb), 'two', 'the response callbacks ran in generation 2');
  const drainingIds = async () => (await bed.gateway.draining()).map((d) => d.generation);
  await poll('generation 2 released', async () => (!(await drainingIds()).includes(gen2.id) ? true : undefined));
  assert.deepEqual(await drainingIds(), [gen1.id]);

  held.get('/slow-a')!.writeHead(200).end('a');
  const ra = await a;
  assert.equal(ra.status, 200);
  assert.equal(rootOf(ra), 'one', 'the response callbacks ran in generation 1');
  await poll('generation 1 released', async () => ((await drainingIds()).length === 0 ? true : undefined));
  assert.equal(rootOf(await props('/fast')), 'three');
});
