/**
 * The file watcher: it watches folders, so saves that replace the file (write-and-rename, vim's
 * rename-to-backup) keep triggering; new and removed files in a --config folder count; a touch
 * without changes restarts nothing; a broken save is reported and the next good one recovers; and
 * a file:// plugin that failed to load (FAIL_OPEN) is still watched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cleanup, ingress, send, service, wasmPlugin, type Manifest } from '../helpers/gateway.js';
import { MOCK_RESPONSE, startReloadBed, toYaml, until } from '../helpers/reload.js';

const manifests = (plugin: string, content: string, extra: Manifest[] = []): Manifest[] => [
  service('backend', ['127.0.0.1:9']),
  ingress('site', 'backend'),
  wasmPlugin('mock', plugin, { defaultConfig: { content } }),
  ...extra,
];

test('--config file: every save reloads, whether written in place, renamed over, or saved vim-style (rename to backup, write new)', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0'), configPath: 'file' });
  const body = async () => (await send(bed.port)).body;
  const saves: [string, () => void][] = [
    ['rename', () => bed.writeConfig(manifests(bed.pluginFile, 'v1'), 'rename')],
    ['rename again', () => bed.writeConfig(manifests(bed.pluginFile, 'v2'), 'rename')],
    ['in place', () => bed.writeConfig(manifests(bed.pluginFile, 'v3'), 'in-place')],
    ['vim backup', () => {
      renameSync(bed.configFile, `${bed.configFile}~`);
      writeFileSync(bed.configFile, toYaml(manifests(bed.pluginFile, 'v4')));
      rmSync(`${bed.configFile}~`);
    }],
    ['rename after vim', () => bed.writeConfig(manifests(bed.pluginFile, 'v5'), 'rename')],
  ];
  for (const [i, [how, save]] of saves.entries()) {
    const generation = bed.gateway.generation.id;
    save();
    const outcome = await bed.waitForGeneration(generation);
    assert.ok(outcome.ok, how);
    assert.match(outcome.trigger, /^file changed: .*gateway\.yaml/, how);
    assert.equal(await body(), `v${i + 1}`, how);
  }
  assert.deepEqual(bed.gateway.watching, [bed.dir]);
});

test('--config folder: a new YAML file and a removed one each reload; other files are ignored', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0') });
  const routes = async () => (await bed.admin('/config_dump')).json.routes.map((r: { name: string }) => r.name).sort();
  assert.deepEqual(await routes(), ['default/site']);

  let generation = bed.gateway.generation.id;
  const extra = join(bed.dir, 'extra.yml');
  writeFileSync(extra, toYaml([ingress('extra', 'backend', { host: 'extra.test' })]));
  await bed.waitForGeneration(generation);
  assert.deepEqual(await routes(), ['default/extra', 'default/site']);

  generation = bed.gateway.generation.id;
  rmSync(extra);
  await bed.waitForGeneration(generation);
  assert.deepEqual(await routes(), ['default/site']);

  // A file the config does not read changes nothing, and triggers nothing.
  const attempts = bed.attempts();
  writeFileSync(join(bed.dir, 'notes.txt'), 'hello');
  writeFileSync(join(bed.dir, 'gateway.yaml.swp'), 'editor swap file');
  // Then a real change: the attempt that follows must be that change's, not the ignored files'.
  bed.writeConfig(manifests(bed.pluginFile, 'v1'));
  const outcome = await bed.waitForAttempt(attempts);
  assert.equal(bed.attempts(), attempts + 1);
  assert.doesNotMatch(outcome.trigger, /notes\.txt|\.swp/);
  assert.equal((await send(bed.port)).body, 'v1');
});

test('a touch (no change) restarts nothing; a broken save is reported, and saving the old text back recovers', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0') });
  const generation = bed.gateway.generation.id;
  await bed.gateway.settle();
  const skipped = () => bed.logs.filter((l) => l.includes('skipped: config and plugin files are as the last reload read them')).length;

  const now = new Date();
  utimesSync(bed.configFile, now, now);
  utimesSync(bed.pluginFile, now, now);
  await until('the no-op check', () => skipped() === 1);
  assert.equal(bed.gateway.generation.id, generation);
  assert.equal(bed.attempts(), 0);

  const attempts = bed.attempts();
  bed.writeConfigText('kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {name: broken}\nspec: {rules: [{http: {paths: [{path: 3}]}}]}\n');
  const failed = await bed.waitForAttempt(attempts);
  assert.equal(failed.ok, false);
  assert.match(failed.trigger, /^file changed: /);
  assert.ok(failed.errors.every((e) => e.location?.includes('gateway.yaml')), JSON.stringify(failed.errors));
  assert.equal((await send(bed.port)).body, 'v0', 'the old config serves');
  const ready = await bed.admin('/ready');
  assert.equal(ready.status, 200);
  assert.equal(ready.json.lastReload.ok, false);

  // The text the serving generation was loaded from: the files now match what serves, but the
  // last attempt failed, so this is a real reload and lastReload turns ok again.
  bed.writeConfig(manifests(bed.pluginFile, 'v0'));
  const fixed = await bed.waitForGeneration(generation);
  assert.equal(fixed.ok, true);
  assert.equal((await bed.admin('/ready')).json.lastReload.ok, true);
  assert.equal((await send(bed.port)).body, 'v0');
});

test('a FAIL_OPEN file:// plugin that could not load is watched too: creating its file loads it', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  let later = '';
  const bed = await startReloadBed(bag, {
    plugin: MOCK_RESPONSE,
    docs: (p) => {
      later = join(p, '..', 'later.wasm');
      // Runs before the mock plugin: while it is missing, requests skip it.
      return [...manifests(p, 'v0'), wasmPlugin('later', later, { failStrategy: 'FAIL_OPEN', phase: 'AUTHN', defaultConfig: { content: 'from later' } })];
    },
  });
  const dump = await bed.admin('/config_dump');
  assert.deepEqual(dump.json.skippedPlugins.map((s: { key: string; code: string }) => [s.key, s.code]), [['default/later', 'WG_SOURCE_FILE']]);
  assert.ok(bed.gateway.lastReload!.warnings.some((w) => w.code === 'WG_SOURCE_FILE'), 'the skip is a warning of the outcome');
  assert.equal((await send(bed.port)).body, 'v0');

  const generation = bed.gateway.generation.id;
  writeFileSync(later, readFileSync(MOCK_RESPONSE));
  const outcome = await bed.waitForGeneration(generation);
  assert.match(outcome.trigger, /later\.wasm/);
  assert.deepEqual((await bed.admin('/config_dump')).json.skippedPlugins, []);
  assert.equal((await send(bed.port)).body, 'from later');
});

test('a FAIL_CLOSE file:// plugin that does not exist yet fails the reload at the config stage, and creating it reloads', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0') });
  const later = join(bed.dir, 'built-later.wasm');
  const attempts = bed.attempts();
  bed.writeConfig(manifests(bed.pluginFile, 'v0', [wasmPlugin('later', later, { phase: 'AUTHN', defaultConfig: { content: 'from later' } })]));
  const failed = await bed.waitForAttempt(attempts);
  assert.equal(failed.ok, false);
  assert.deepEqual(failed.errors.map((e) => e.code), ['WG_CONFIG_PLUGIN_FILE'], JSON.stringify(failed.errors));
  assert.match(failed.errors[0]!.location ?? '', /spec\.url/);
  assert.equal((await send(bed.port)).body, 'v0', 'the old config serves');

  const generation = bed.gateway.generation.id;
  writeFileSync(later, readFileSync(MOCK_RESPONSE));
  const outcome = await bed.waitForGeneration(generation);
  assert.equal(outcome.ok, true, JSON.stringify(outcome.errors));
  assert.match(outcome.trigger, /built-later\.wasm/);
  assert.equal((await send(bed.port)).body, 'from later');
});
