/**
 * A reload that cannot complete leaves the previous generation serving: invalid YAML, a schema
 * error, a plugin that rejects its configuration, a file that is not Wasm. Each failure is logged
 * and reported as lastReload (ok: false, WG code, location) on /ready and /config_dump, /ready
 * stays 200, and a fixed config then reloads normally.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cleanup, ingress, send, service, wasmPlugin, type Manifest } from '../helpers/gateway.js';
import { MOCK_RESPONSE, startReloadBed, type ReloadBed } from '../helpers/reload.js';

const manifests = (plugin: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}): Manifest[] => [
  service('backend', ['127.0.0.1:9']),
  ingress('site', 'backend'),
  wasmPlugin('mock', plugin, { defaultConfig: config, ...extra }),
];

describe('a reload that fails keeps the previous configuration serving', () => {
  const bag = new Cleanup();
  let bed: ReloadBed;
  // Each test breaks the config one way and reloads with POST /reload (the watcher is off, so
  // every attempt is the one the test asked for).
  before(async () => {
    bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, { content: 'v1' }), watch: false });
  });
  after(() => bag.run());
  // Every test starts from the working config and binary, whatever the previous one left.
  beforeEach(async () => {
    bed.writePlugin(MOCK_RESPONSE);
    bed.writeConfig(manifests(bed.pluginFile, { content: 'v1' }));
    assert.equal((await bed.admin('/reload', 'POST')).status, 200);
  });

  const body = async () => (await send(bed.port, { path: '/' })).body;

  async function expectFailure(code: string, location: RegExp | undefined) {
    const generation = bed.gateway.generation.id;
    const r = await bed.admin('/reload', 'POST');
    assert.equal(r.status, 422, r.body);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.generation, generation, 'the outcome names the generation still serving');
    const err = r.json.errors.find((e: { code: string }) => e.code === code);
    assert.ok(err, `${code} in ${r.body}`);
    if (location) assert.match(err.location, location);
    assert.equal(bed.gateway.generation.id, generation, 'no swap');
    assert.equal(await body(), 'v1', 'the old behaviour continues');

    const ready = await bed.admin('/ready');
    assert.equal(ready.status, 200, 'a failed reload does not make the gateway unready');
    assert.equal(ready.json.lastReload.ok, false);
    assert.equal(ready.json.lastReload.trigger, 'POST /reload');
    assert.ok(ready.json.lastReload.errors.some((e: { code: string }) => e.code === code));
    const dump = await bed.admin('/config_dump');
    assert.equal(dump.json.lastReload.ok, false);
    assert.deepEqual(dump.json.lastReload.errors, r.json.errors);
    assert.equal(dump.json.generation.id, generation);
    await bed.gateway.settle();
    assert.ok(bed.logs.some((l) => l.includes('reload (POST /reload) failed') && l.includes(`generation ${generation} keeps serving`)), 'failure logged');
    await bed.gateway.settle();
    assert.ok(bed.logs.some((l) => l.includes(code)), `${code} logged`);
    return err as { code: string; message: string; location?: string; details?: string[] };
  }

  async function expectRecovery() {
    bed.writeConfig(manifests(bed.pluginFile, { content: 'v1' }));
    const generation = bed.gateway.generation.id;
    const r = await bed.admin('/reload', 'POST');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.generation, generation + 1);
    assert.deepEqual(r.json.errors, []);
    assert.equal((await bed.admin('/ready')).json.lastReload.ok, true);
    assert.equal(await body(), 'v1');
  }

  test('invalid YAML: WG_CONFIG_YAML at its line and column', async () => {
    assert.equal(await body(), 'v1');
    bed.writeConfigText('apiVersion: v1\nkind: [Ingress\nmetadata: {}\n');
    await expectFailure('WG_CONFIG_YAML', /gateway\.yaml:\d+:\d+/);
    await expectRecovery();
  });

  test('schema error: WG_CONFIG_INVALID at spec.failStrategy', async () => {
    bed.writeConfig(manifests(bed.pluginFile, { content: 'v2' }, { failStrategy: 'FAIL_SOMETIMES' }));
    await expectFailure('WG_CONFIG_INVALID', /gateway\.yaml:\d+:\d+\s+spec\.failStrategy/);
    await expectRecovery();
  });

  test('a plugin that rejects its configuration: WG_PLUGIN_CONFIGURE_REJECTED with its log line', async () => {
    bed.writeConfig(manifests(bed.pluginFile, { content: 5 }));
    const err = await expectFailure('WG_PLUGIN_CONFIGURE_REJECTED', /gateway\.yaml:\d+:\d+/);
    assert.ok(err.details?.some((d) => d.includes('mock-response: invalid configuration')), JSON.stringify(err));
    await expectRecovery();
  });

  test('the plugin file replaced by something that is not Wasm: WG_SOURCE_NOT_WASM, then the fixed binary reloads', async () => {
    bed.writePlugin(new TextEncoder().encode('#!/bin/sh\necho not wasm\n'));
    await expectFailure('WG_SOURCE_NOT_WASM', /gateway\.yaml:\d+:\d+/);
    bed.writePlugin(MOCK_RESPONSE);
    await expectRecovery();
  });

  test('two broken plugins: both errors are reported', async () => {
    const notWasm = join(bed.dir, 'not-wasm.wasm');
    writeFileSync(notWasm, '#!/bin/sh\n');
    bed.writeConfig([...manifests(bed.pluginFile, { content: 5 }), wasmPlugin('other', notWasm)]);
    const r = await bed.admin('/reload', 'POST');
    assert.equal(r.status, 422);
    const codes = r.json.errors.map((e: { code: string }) => e.code).sort();
    assert.deepEqual(codes, ['WG_PLUGIN_CONFIGURE_REJECTED', 'WG_SOURCE_NOT_WASM'], r.body);
    assert.match(r.json.errors[0].message, /default\/mock/);
    assert.equal(await body(), 'v1');
    await expectRecovery();
  });

  test('a missing plugin file fails the config stage, as validate reports it: WG_CONFIG_PLUGIN_FILE at the url', async () => {
    bed.writeConfig([...manifests(bed.pluginFile, { content: 'v1' }), wasmPlugin('other', join(bed.dir, 'not-built-yet.wasm'))]);
    await expectFailure('WG_CONFIG_PLUGIN_FILE', /gateway\.yaml:\d+:\d+\s+spec\.url/);
    await expectRecovery();
  });

  test('metrics count reloads and failures', async () => {
    bed.writeConfig(manifests(bed.pluginFile, { content: 5 }));
    await bed.admin('/reload', 'POST');
    let m = (await send(bed.adminPort, { path: '/metrics' })).body;
    assert.match(m, /^wasmgate_last_reload_success 0$/m);
    await expectRecovery();
    m = (await send(bed.adminPort, { path: '/metrics' })).body;
    assert.match(m, /^wasmgate_reloads_total [1-9]\d*$/m);
    assert.match(m, /^wasmgate_reload_failures_total [1-9]\d*$/m);
    assert.match(m, /^wasmgate_last_reload_success 1$/m);
    assert.match(m, /^wasmgate_plugin_up\{plugin="default\/mock",worker="1"\} 1$/m);
  });
});
