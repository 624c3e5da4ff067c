/**
 * Issue 8, item 7: three lifecycle bugs found by reading the code, each pinned by a test.
 * 1. listen's 'error' handler must be removed once listening (the old code removed another function,
 *    so every later server error went into an already-settled promise and was lost);
 * 2. a VM recreated while close() ran must be released, not left alive with nobody to dispose it;
 * 3. callouts of a request still draining on an old generation resolve clusters in that generation's
 *    config, not in the newest one (each generation owns its HostPorts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { attachSharedState, createSharedStateHandle, LogLevel, PluginVm } from '@wasmgate/host';
import { loadConfig } from '../../src/config/index.js';
import { pluginLimits } from '../../src/config/limits.js';
import { createLogger } from '../../src/logger.js';
import { PluginInstance } from '../../src/plugins/plugin-instance.js';
import { createNodePorts } from '../../src/ports/node-ports.js';
import { listenOn } from '../../src/proxy/listen.js';
import { preparePlugins } from '../../src/supervisor/prepare-plugins.js';
import { startInThreadPlane } from '../helpers/in-thread-plane.js';
import { Cleanup, fixture, ingress, poll, service, startUpstream, wasmPlugin, writeConfig } from '../helpers/gateway.js';

test('listenOn: once listening, no bind-error handler is left on the server', async (t) => {
  const srv = createServer();
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const before = srv.listenerCount('error');
  const port = await listenOn(srv, { host: '127.0.0.1', port: 0 });
  assert.ok(port > 0);
  assert.equal(srv.listenerCount('error'), before, 'the handler added for the bind was removed');
  // And a bind that fails is reported as WG_PROXY_LISTEN.
  const other = createServer();
  await assert.rejects(listenOn(other, { host: '127.0.0.1', port }), (e: Error & { code?: string }) => e.code === 'WG_PROXY_LISTEN' && /already in use/.test(e.message));
});

test('PluginInstance: a VM that finishes starting after close() is released, never installed', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const dir = writeConfig(bag, [service('b', [`127.0.0.1:${upstream.port}`]), ingress('i', 'b'), wasmPlugin('trap', fixture('wat/trap.wasm'))]);
  const { config } = loadConfig([dir]);
  const logs: string[] = [];
  const logger = createLogger((l) => logs.push(l), LogLevel.debug);
  const prepared = await preparePlugins(config!, {}, logger);
  const stores = attachSharedState(createSharedStateHandle(), { threadId: 1, notifyQueueReady: () => undefined });
  const ports = createNodePorts(config!, logger, stores);
  t.after(() => ports.close());
  let released = 0;
  const inst = await PluginInstance.create(config!.plugins[0]!, prepared.plugins[0]!, {
    ports, logger, limits: pluginLimits(config!.plugins[0]!, config!.gateway), vmReleased: () => released++,
  });
  const first = inst.vm;

  // Hold the next VM start until the instance has been closed.
  const realCreate = PluginVm.create.bind(PluginVm);
  let startEntered!: () => void;
  const entered = new Promise<void>((r) => { startEntered = r; });
  let letStart!: () => void;
  const gate = new Promise<void>((r) => { letStart = r; });
  let created: PluginVm | undefined;
  PluginVm.create = async (...args: Parameters<typeof PluginVm.create>) => {
    startEntered();
    await gate;
    created = await realCreate(...args);
    return created;
  };
  t.after(() => { PluginVm.create = realCreate; });

  // Make the VM trap: wat/trap.wasm traps in proxy_on_request_headers.
  assert.throws(() => first.call(inst.filter().root, 'proxy_on_request_headers', [inst.filter().root.id, 0, 1]));
  assert.ok(first.failure);
  await entered;
  inst.close();
  const releasedAtClose = released;
  letStart();
  await poll('the late VM to be released', async () => (released > releasedAtClose ? true : undefined), 5000, 10);
  assert.ok(created, 'the late VM was created');
  assert.equal(inst.vm, first, 'the late VM was never installed');
  assert.ok(!logs.some((l) => l.includes('VM recreated')), logs.join('\n'));
});

test('a generation swapped out by a reload keeps resolving callout clusters in its own config', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const backend = await startUpstream(bag);
  const oldCallout = await startUpstream(bag, (_q, res) => res.writeHead(200).end('old'));
  const newCallout = await startUpstream(bag, (_q, res) => res.writeHead(200).end('new'));
  const docs = (calloutPort: number) => [
    service('backend', [`127.0.0.1:${backend.port}`]),
    service('auth', [`127.0.0.1:${calloutPort}`]),
    ingress('site', 'backend'),
    wasmPlugin('mock', fixture('go/mock-response/plugin.wasm'), { defaultConfig: { content: 'x' } }),
  ];
  const bed = await startInThreadPlane(bag, [writeConfig(bag, docs(oldCallout.port))]);
  const gen1 = bed.plane.current!;
  gen1.enter(); // an exchange still in flight keeps generation 1 draining
  t.after(() => gen1.leave());
  await bed.reload([writeConfig(bag, docs(newCallout.port))]);
  assert.notEqual(bed.plane.current, gen1);
  const call = (ports: typeof gen1.ports) => ports.httpCall!({
    cluster: 'outbound|80||auth.default.svc.cluster.local', plugin: 'test', timeoutMs: 2000, body: new Uint8Array(0), trailers: [],
    headers: [[':method', 'GET'], [':path', '/check'], [':authority', 'auth']],
  });
  const oldAnswer = await call(gen1.ports);
  const newAnswer = await call(bed.plane.current!.ports);
  assert.ok(typeof oldAnswer !== 'string' && typeof newAnswer !== 'string');
  assert.equal(new TextDecoder().decode(oldAnswer.body), 'old', 'the old generation calls the endpoint of its own config');
  assert.equal(new TextDecoder().decode(newAnswer.body), 'new');
});
