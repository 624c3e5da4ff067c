// Reading --config paths: files, directories (sorted, *.yaml/*.yml/*.json), empty and unreadable input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { brief, loadText } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SERVICE = (name: string) => `apiVersion: wasmgate.io/v1alpha1\nkind: Service\nmetadata: {name: ${name}}\nspec: {endpoints: ["h:1"]}\n`;

test('a directory contributes its *.yaml and *.yml files in sorted order, not recursively', () => {
  const d = join(dir, 'tree');
  mkdirSync(join(d, 'nested.yaml'), { recursive: true });
  writeFileSync(join(d, 'b.yaml'), SERVICE('b'));
  writeFileSync(join(d, 'a.yml'), SERVICE('a'));
  writeFileSync(join(d, 'C.yaml'), SERVICE('c'));
  writeFileSync(join(d, 'notes.txt'), 'not yaml: [');
  writeFileSync(join(d, 'nested.yaml', 'deep.yaml'), SERVICE('deep'));
  const r = loadConfig(['tree', 'tree/b.yaml'], { cwd: dir });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.sources, [join(d, 'C.yaml'), join(d, 'a.yml'), join(d, 'b.yaml')]);
  assert.deepEqual(r.config!.sources, r.sources);
  assert.deepEqual(r.config!.services.map((s) => s.name), ['a', 'b', 'c']);
});

test('a directory\'s *.json manifests are read; other files are named in a WG_CONFIG_SKIPPED_FILE warning', () => {
  const d = join(dir, 'mixed');
  mkdirSync(d);
  writeFileSync(join(d, 'a.yaml'), SERVICE('a'));
  writeFileSync(join(d, 'b.json'), JSON.stringify({ apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', metadata: { name: 'b' }, spec: { endpoints: ['h:1'] } }, null, 2));
  writeFileSync(join(d, 'c.yaml.bak'), SERVICE('c'));
  writeFileSync(join(d, 'plugin.conf'), 'x');
  // Quietly skipped: documentation, plugin binaries, dot-files and editor backups.
  for (const quiet of ['README.md', 'LICENSE', 'notes.txt', 'plugin.wasm', '.a.yaml.swp', 'a.yaml~']) writeFileSync(join(d, quiet), 'x');
  const r = loadConfig(d);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.sources, [join(d, 'a.yaml'), join(d, 'b.json')]);
  assert.deepEqual(r.config!.services.map((s) => s.name), ['a', 'b']);
  assert.deepEqual(r.warnings.map((w) => `${w.code} ${w.location?.file} ${w.message}`), [
    `WG_CONFIG_SKIPPED_FILE ${join(d, 'c.yaml.bak')} c.yaml.bak is not read: only *.yaml, *.yml and *.json files of a folder are`,
    `WG_CONFIG_SKIPPED_FILE ${join(d, 'plugin.conf')} plugin.conf is not read: only *.yaml, *.yml and *.json files of a folder are`,
  ]);
  assert.match(r.warnings[0]!.hint!, /\(\.bak files are not read\)/);
});

test('a JSON manifest with a mistake is located at its line and column like YAML', () => {
  const d = join(dir, 'json');
  mkdirSync(d);
  writeFileSync(join(d, 'svc.json'), '{\n  "apiVersion": "wasmgate.io/v1alpha1",\n  "kind": "Service",\n  "metadata": {"name": "s"},\n  "spec": {"endpoints": [80]}\n}\n');
  assert.deepEqual(brief(loadConfig(d).errors), ['WG_CONFIG_INVALID 5:26 spec.endpoints[0]']);
});

test('a file named explicitly is read whatever its extension', () => {
  writeFileSync(join(dir, 'manifest.txt'), SERVICE('t'));
  assert.deepEqual(loadConfig(join(dir, 'manifest.txt')).config!.services.map((s) => s.name), ['t']);
});

test('a missing path is WG_CONFIG_READ, reported with everything else', () => {
  writeFileSync(join(dir, 'bad.yaml'), 'kind: [');
  const r = loadConfig([join(dir, 'missing.yaml'), join(dir, 'bad.yaml')]);
  assert.deepEqual(r.errors.map((e) => e.code), ['WG_CONFIG_READ', 'WG_CONFIG_YAML']);
  assert.equal(r.errors[0]!.location?.file, join(dir, 'missing.yaml'));
  assert.match(r.errors[0]!.message, /no such file or directory/);
});

test('no documents at all is WG_CONFIG_EMPTY', () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  assert.deepEqual(loadConfig(empty).errors.map((e) => `${e.code} ${e.message}`), ['WG_CONFIG_EMPTY no *.yaml, *.yml or *.json files to read']);
  const r = loadText('# only a comment\n---\n---\n');
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.file}`), ['WG_CONFIG_EMPTY /virtual/config/test.yaml']);
});

test('empty documents are skipped; odd documents are reported', () => {
  const r = loadText(`---\n${SERVICE('ok')}---\n# nothing\n---\n- a list\n---\nkind: Ingress\nmetadata: {name: x}\n---\nx: *undefined\n`);
  assert.deepEqual(brief(r.errors), [
    'WG_CONFIG_INVALID 9:1',
    'WG_CONFIG_UNKNOWN_KIND 11:1 apiVersion',
    'WG_CONFIG_YAML 14:4',
  ]);
});

test('anchors, aliases and << merge keys work within a document, as with kubectl', () => {
  const r = loadText(`apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: {name: p}
spec:
  url: p.wasm
  defaultConfig: &base
    content: global
    status: 200
  matchRules:
  - domain: [a.com]
    config:
      <<: *base
      content: a
`);
  assert.deepEqual([...r.errors, ...r.warnings], []);
  assert.equal(r.config!.plugins[0]!.configJson,
    '{"_rules_":[{"_match_domain_":["a.com"],"content":"a","status":200}],"content":"global","status":200}');
});
