// What `wasmgate validate` catches that `serve` would refuse or silently ignore (issue 12): local
// plugin files that are not there, plugin URLs that are not URLs, malformed hosts and domains,
// near-miss field names, files a config folder would skip; `--strict`; and cases/mistakes, a
// folder of realistic mistakes that gives every one of them at once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadConfigFromSources } from '../../src/config/index.js';
import { didYouMean } from '../../src/config/schema-issues.js';
import { run, type JsonReport } from '../../src/cli/commands/validate.js';
import { brief, CASES, captureIo, ECHO_SERVICE, loadText, plugin } from './helpers.js';

const CWD = join(CASES, '..');
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A WasmPlugin manifest with the given url (quoted) and extra spec lines. */
const withUrl = (name: string, url: string, extra = '') => plugin(name, extra).replace(/url: .*/, `url: ${JSON.stringify(url)}`);

test('a missing local plugin file is WG_CONFIG_PLUGIN_FILE at spec.url, for file:// and plain paths; FAIL_OPEN makes it a warning', () => {
  const d = join(dir, 'plugins');
  mkdirSync(join(d, 'built'), { recursive: true });
  writeFileSync(join(d, 'built', 'ok.wasm'), '\0asm');
  mkdirSync(join(d, 'built', 'dir.wasm'));
  writeFileSync(join(d, 'plugins.yaml'), [
    withUrl('ok', 'file://./built/ok.wasm'),
    withUrl('plain', 'built/missing.wasm'),
    withUrl('abs', `file://${join(d, 'nope.wasm')}`),
    withUrl('adir', './built/dir.wasm'),
    withUrl('optional', 'file://./built/later.wasm', '  failStrategy: FAIL_OPEN'),
  ].join(''));
  const r = loadConfig(d);
  assert.deepEqual(brief(r.errors), [
    'WG_CONFIG_PLUGIN_FILE 13:8 spec.url',
    'WG_CONFIG_PLUGIN_FILE 20:8 spec.url',
    'WG_CONFIG_PLUGIN_FILE 27:8 spec.url',
  ]);
  assert.deepEqual(r.errors.map((e) => e.message), [
    `plugin file ${join(d, 'built', 'missing.wasm')} does not exist`,
    `plugin file ${join(d, 'nope.wasm')} does not exist`,
    `plugin file ${join(d, 'built', 'dir.wasm')} is a directory`,
  ]);
  assert.equal(r.errors[0]!.hint, `Build the plugin or fix the path (relative to ${d}).`);
  assert.equal(r.errors[1]!.hint, 'Build the plugin or fix the path (absolute).');
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_PLUGIN_FILE 34:8 spec.url']);
  assert.match(r.warnings[0]!.message, /later\.wasm does not exist; the plugin is FAIL_OPEN, so it is skipped$/);
  assert.equal(r.config, undefined);
  // Every local plugin named is listed (hot reload watches them, the missing ones too).
  assert.deepEqual(r.pluginFiles, ['ok.wasm', 'missing.wasm', 'nope.wasm', 'dir.wasm', 'later.wasm'].map((f) => join(d, f === 'nope.wasm' ? '' : 'built', f)));
});

test('an unreadable plugin file is WG_CONFIG_PLUGIN_FILE too', { skip: process.getuid?.() === 0 ? 'root reads every file' : false }, () => {
  const d = join(dir, 'unreadable');
  mkdirSync(d);
  writeFileSync(join(d, 'p.wasm'), '\0asm');
  chmodSync(join(d, 'p.wasm'), 0o000);
  writeFileSync(join(d, 'p.yaml'), withUrl('p', 'p.wasm'));
  assert.deepEqual(loadConfig(d).errors.map((e) => `${e.code} ${e.message}`), [`WG_CONFIG_PLUGIN_FILE plugin file ${join(d, 'p.wasm')} cannot be read (permission denied)`]);
});

test('texts alone (loadConfigFromSources) check no files unless asked', () => {
  const text = withUrl('p', '/surely/not/here.wasm');
  assert.deepEqual(loadText(text).errors, []);
  const r = loadConfigFromSources([{ file: '/virtual/p.yaml', text }], {}, { checkPluginFiles: true });
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_PLUGIN_FILE 6:8 spec.url']);
});

test('plugin URLs that serve could not fetch are errors at spec.url, each with a hint', () => {
  const urls = [
    'oci:/higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0',
    'oci://<your_registry_hub>/plugins/key-auth:1.0.0',
    'https:example.com/p.wasm',
    'oci://exa mple.com/plugins/p:1.0.0',
    ' oci://example.com/plugins/p:1.0.0',
    'http://exa mple.com/p.wasm',
    'oci://exa[mple.com/plugins/p:1.0.0',
    'oci://example.com/Plugins/P:1.0.0',
    'gopher://example.com/p.wasm',
    'file:///plugins/<name>.wasm',
  ];
  const r = loadText(urls.map((u, i) => withUrl(`p${i}`, u)).join(''));
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.path} ${e.message}`), [
    'WG_CONFIG_INVALID spec.url "oci:/higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0" has one slash after "oci:"',
    'WG_CONFIG_INVALID spec.url "oci://<your_registry_hub>/plugins/key-auth:1.0.0" contains the placeholder <your_registry_hub>',
    'WG_CONFIG_INVALID spec.url "https:example.com/p.wasm" has no slashes after "https:"',
    'WG_CONFIG_INVALID spec.url "oci://exa mple.com/plugins/p:1.0.0" is not an OCI reference (oci://registry/repository[:tag|@sha256:digest])',
    'WG_CONFIG_INVALID spec.url " oci://example.com/plugins/p:1.0.0" starts or ends with spaces',
    'WG_CONFIG_INVALID spec.url "http://exa mple.com/p.wasm" is not a valid http URL',
    'WG_CONFIG_INVALID spec.url "oci://exa[mple.com/plugins/p:1.0.0" names the registry "exa[mple.com", which is not a host name or host:port',
    'WG_CONFIG_INVALID spec.url "oci://example.com/Plugins/P:1.0.0" is not a valid image reference: repository "Plugins/P" must be lowercase letters, digits and separators (. _ -), split by /',
    'WG_CONFIG_INVALID spec.url unsupported URL scheme "gopher://"',
    'WG_CONFIG_INVALID spec.url "file:///plugins/<name>.wasm" contains the placeholder <name>',
  ]);
  assert.equal(r.errors[0]!.hint, 'Write oci://higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0.');
  assert.match(r.errors[1]!.hint!, /^Replace <your_registry_hub> with a real value/);
  assert.ok(r.errors.every((e) => e.location?.line !== undefined && e.location.col === 8 && e.hint), 'located at the url value, with a hint');
  // Good URLs of every kind still load (paths with spaces are file names, not URLs).
  assert.deepEqual(loadText([
    withUrl('a', 'oci://127.0.0.1:5000/plugins/p@sha256:' + 'a'.repeat(64)),
    withUrl('b', 'oci://[::1]:5000/plugins/p:1.0.0'),
    withUrl('c', 'HTTPS://example.com/p.wasm'),
    withUrl('d', 'dir with spaces/p.wasm'),
    withUrl('e', 'C:/plugins/p.wasm'),
  ].join('')).errors, []);
});

test('match-rule and scope domains are exact hosts, *.suffix or prefix.*; anything else is an error at the entry', () => {
  const r = loadText(plugin('p', `  matchRules:
  - domain: [example.com, "*.example.com", "api.*", EXAMPLE.org, "*.exa[mple.com", "exa mple.com", "a..b.com", "example.com:8080", "*.a.*", "*"]
    config: {x: 1}
  wasmgate:
    scope:
      domains: [ok.com, ".bad.com"]`));
  assert.deepEqual(brief(r.errors), [
    'WG_CONFIG_INVALID 8:66 spec.matchRules[0].domain[4]',
    'WG_CONFIG_INVALID 8:84 spec.matchRules[0].domain[5]',
    'WG_CONFIG_INVALID 8:100 spec.matchRules[0].domain[6]',
    'WG_CONFIG_INVALID 8:112 spec.matchRules[0].domain[7]',
    'WG_CONFIG_INVALID 8:132 spec.matchRules[0].domain[8]',
    'WG_CONFIG_INVALID 8:141 spec.matchRules[0].domain[9]',
    'WG_CONFIG_INVALID 12:25 spec.wasmgate.scope.domains[1]',
  ]);
  assert.equal(r.errors[0]!.message, '"*.exa[mple.com" is not a domain: write an exact host, "*.suffix" or "prefix.*" (DNS labels, no empty label, no port, no spaces)');
  assert.equal(r.errors[0]!.hint, 'Examples: example.com, *.example.com, api.*');
});

test('Ingress hosts with brackets, spaces, empty labels or a port are errors at the host', () => {
  const hosts = ['*.exa[mple.com', 'exa mple.com', 'a..example.com', '.example.com', 'example.com:80', 'good.example.com'];
  const rules = hosts.map((h) => `  - host: ${JSON.stringify(h)}\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}`).join('\n');
  const r = loadText(`${ECHO_SERVICE}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: site}\nspec:\n  rules:\n${rules}\n`);
  assert.deepEqual(brief(r.errors), [0, 1, 2, 3, 4].map((i) => `WG_CONFIG_INVALID ${13 + 2 * i}:11 spec.rules[${i}].host`));
  assert.match(r.errors[0]!.message, /must be a lowercase DNS name.*got "\*\.exa\[mple\.com"$/);
});

test('an unknown field close to a known one says "did you mean", with a hint of its own', () => {
  const r = loadText(withUrl('p', 'p.wasm', '  defaultconfig: {a: 1}\n  failstrategy: FAIL_OPEN\n  priorty: 5\n  matchRules:\n  - domain: [a.com]\n    confg: {a: 2}\n  selector: {}'));
  assert.deepEqual(r.warnings.map((w) => `${w.location?.line}:${w.location?.col} ${w.message} | ${w.hint}`), [
    '7:3 unknown field "defaultconfig" is ignored; did you mean "defaultConfig"? | Field names are case-sensitive: write "defaultConfig" (as written, the field is ignored).',
    '8:3 unknown field "failstrategy" is ignored; did you mean "failStrategy"? | Field names are case-sensitive: write "failStrategy" (as written, the field is ignored).',
    '9:3 unknown field "priorty" is ignored; did you mean "priority"? | Write "priority" if that is what you meant (as written, the field is ignored).',
    '12:5 unknown field "confg" is ignored; did you mean "config"? | Write "config" if that is what you meant (as written, the field is ignored).',
    `13:3 unknown field "selector" is ignored | ${r.warnings[4]!.hint}`,
  ]);
  // No suggestion: the stock hint (which the text report leaves out for warnings).
  assert.match(r.warnings[4]!.hint!, /^Remove the field if it is a typo/);
  assert.equal(didYouMean('URL', ['url', 'sha256']), 'url');
  assert.equal(didYouMean('phsae', ['phase', 'priority']), 'phase');
  assert.equal(didYouMean('xyz', ['url', 'phase']), undefined);
  assert.equal(didYouMean('ab', ['a', 'b']), undefined, 'short keys need an exact case-insensitive match');
});

// Paths print relative to the working directory.
const MISTAKES_ERRORS = [
  'cases/mistakes/01-basic-auth.yaml:7:8  spec.url  WG_CONFIG_PLUGIN_FILE  plugin file ' + join(CASES, 'mistakes/plugins/basic-auth.wasm') + ' does not exist',
  'cases/mistakes/02-key-auth.yaml:8:8  spec.url  WG_CONFIG_INVALID  "oci://<your_registry_hub>/plugins/key-auth:1.0.0" contains the placeholder <your_registry_hub>',
  'cases/mistakes/03-request-block.yaml:6:8  spec.url  WG_CONFIG_INVALID  "oci:/higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/request-block:1.0.0" has one slash after "oci:"',
  'cases/mistakes/03-request-block.yaml:9:7  spec.matchRules[0].domain[0]  WG_CONFIG_INVALID  "api..example.com" is not a domain: write an exact host, "*.suffix" or "prefix.*" (DNS labels, no empty label, no port, no spaces)',
  'cases/mistakes/03-request-block.yaml:10:7  spec.matchRules[0].domain[1]  WG_CONFIG_INVALID  "exa mple.com" is not a domain: write an exact host, "*.suffix" or "prefix.*" (DNS labels, no empty label, no port, no spaces)',
  'cases/mistakes/04-ingress.yaml:7:11  spec.rules[0].host  WG_CONFIG_INVALID  must be a lowercase DNS name, optionally starting with "*." (no port, no IP address), got "*.exa[mple.com"',
  'cases/mistakes/04-ingress.yaml:14:11  spec.rules[1].host  WG_CONFIG_INVALID  must be a lowercase DNS name, optionally starting with "*." (no port, no IP address), got "exa mple.com"',
];
const MISTAKES_WARNINGS = [
  'cases/mistakes/06-gateway.yml.bak  WG_CONFIG_SKIPPED_FILE  warning: 06-gateway.yml.bak is not read: only *.yaml, *.yml and *.json files of a folder are',
  'cases/mistakes/01-basic-auth.yaml:19:8  spec.url  WG_CONFIG_PLUGIN_FILE  warning: plugin file ' + join(CASES, 'mistakes/plugins/request-log.wasm') + ' does not exist; the plugin is FAIL_OPEN, so it is skipped',
  'cases/mistakes/02-key-auth.yaml:9:3  spec.failstrategy  WG_CONFIG_UNKNOWN_FIELD  warning: unknown field "failstrategy" is ignored; did you mean "failStrategy"?',
  'cases/mistakes/02-key-auth.yaml:10:3  spec.defaultconfig  WG_CONFIG_UNKNOWN_FIELD  warning: unknown field "defaultconfig" is ignored; did you mean "defaultConfig"?',
];

test('cases/mistakes: every realistic mistake at once, each at its file:line:col with a hint; the .json Service is read', async () => {
  const io = captureIo(CWD);
  assert.equal(await run(['cases/mistakes'], io), 2);
  assert.deepEqual(io.stderr, []);
  const heads = io.stdout.filter((l) => !l.startsWith('  '));
  assert.deepEqual(heads, [...MISTAKES_ERRORS, ...MISTAKES_WARNINGS, '7 errors, 4 warnings in 5 files']);
  for (const head of [...MISTAKES_ERRORS, ...MISTAKES_WARNINGS]) {
    assert.match(io.stdout[io.stdout.indexOf(head) + 1]!, /^ {2}hint: /, `no hint after: ${head}`);
  }
  // The Ingress backend is the Service in 05-backend.json: no "Service not found".
  assert.ok(!io.stdout.some((l) => l.includes('WG_CONFIG_REF_NOT_FOUND')));
});

test('--strict turns every warning into an error (exit 2); without it, warnings alone exit 0', async () => {
  const d = join(dir, 'warnings-only');
  mkdirSync(d);
  writeFileSync(join(d, 'svc.yaml'), `${ECHO_SERVICE}  extra: 1\n`);
  writeFileSync(join(d, 'notes.conf'), 'x');
  let io = captureIo(dir);
  assert.equal(await run(['warnings-only'], io), 0);
  assert.deepEqual(io.stdout.filter((l) => !l.startsWith('  ')), [
    'warnings-only/notes.conf  WG_CONFIG_SKIPPED_FILE  warning: notes.conf is not read: only *.yaml, *.yml and *.json files of a folder are',
    'warnings-only/svc.yaml:7:3  spec.extra  WG_CONFIG_UNKNOWN_FIELD  warning: unknown field "extra" is ignored',
    '0 errors, 2 warnings in 1 file',
    'config ok: 0 routes, 0 plugins, 1 service',
  ]);
  io = captureIo(dir);
  assert.equal(await run(['--strict', 'warnings-only'], io), 2);
  assert.deepEqual(io.stdout.filter((l) => !l.startsWith('  ')), [
    'warnings-only/notes.conf  WG_CONFIG_SKIPPED_FILE  notes.conf is not read: only *.yaml, *.yml and *.json files of a folder are',
    'warnings-only/svc.yaml:7:3  spec.extra  WG_CONFIG_UNKNOWN_FIELD  unknown field "extra" is ignored',
    '2 errors, 0 warnings in 1 file',
  ]);
  io = captureIo(dir);
  assert.equal(await run(['--strict', '--json', 'warnings-only'], io), 2);
  const report = JSON.parse(io.stdout.join('\n')) as JsonReport;
  assert.equal(report.ok, false);
  assert.deepEqual(report.errors.map((e) => e.code), ['WG_CONFIG_SKIPPED_FILE', 'WG_CONFIG_UNKNOWN_FIELD']);
  assert.deepEqual(report.warnings, []);
  assert.equal(report.summary, undefined);
  // A clean config passes --strict.
  io = captureIo(CWD);
  assert.equal(await run(['--strict', 'cases/mock-response'], io), 0);
});
