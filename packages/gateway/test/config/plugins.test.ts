// WasmPlugins: chain order, url schemes and paths, defaults, env, wasmgate scope and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, loadText, mustLoad, plugin } from './helpers.js';

test('chain order: AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE; higher priority first; then namespace/name', () => {
  const c = mustLoad([
    plugin('a', '  priority: 100'),
    plugin('b', '  phase: AUTHN\n  priority: 10'),
    plugin('c', '  phase: AUTHN\n  priority: 500'),
    plugin('d', '  phase: STATS'),
    plugin('e', '  phase: AUTHZ\n  priority: -5'),
    plugin('a', '', 'ns2'),
    plugin('z', '', 'ns1'),
    plugin('y', '  phase: UNSPECIFIED_PHASE', 'ns1'),
  ].join(''));
  assert.deepEqual(c.plugins.map((p) => `${p.key} ${p.phase} ${p.priority}`), [
    'default/c AUTHN 500',
    'default/b AUTHN 10',
    'default/e AUTHZ -5',
    'default/d STATS 0',
    'default/a UNSPECIFIED_PHASE 100',
    'ns1/y UNSPECIFIED_PHASE 0',
    'ns1/z UNSPECIFIED_PHASE 0',
    'ns2/a UNSPECIFIED_PHASE 0',
  ]);
});

test('defaults follow Higress: FAIL_CLOSE, UNSPECIFIED phase and policy, priority 0', () => {
  const [p] = mustLoad(plugin('p', '')).plugins;
  assert.deepEqual(p, {
    namespace: 'default',
    name: 'p',
    key: 'default/p',
    url: 'file:///plugins/p.wasm',
    scheme: 'file',
    resolvedPath: '/plugins/p.wasm',
    imagePullPolicy: 'UNSPECIFIED_POLICY',
    rootId: '',
    phase: 'UNSPECIFIED_PHASE',
    priority: 0,
    failStrategy: 'FAIL_CLOSE',
    env: {},
    configJson: '',
    location: { file: '/virtual/config/test.yaml', line: 4, col: 18, path: 'metadata.name' },
  });
});

test('urls: file paths resolve against the declaring file; other schemes are recorded for the fetcher', () => {
  const urls = [
    'file:///abs/p.wasm',
    'file://rel/p.wasm',
    'file://./dir%20x/p.wasm',
    '../plugins/p.wasm',
    'p.wasm',
    'http://127.0.0.1:8000/p.wasm',
    'HTTPS://example.com/p.wasm',
    'oci://registry.example.com/plugins/p:1.0.0',
  ];
  const text = urls.map((u, i) => plugin(`p${i}`, '').replace(/url: .*/, `url: "${u}"`)).join('');
  // ../plugins climbs out of the config folder: allowed here by pluginDirs (else WG_CONFIG_PLUGIN_PATH).
  const c = mustLoad(text, { pluginDirs: ['/virtual/plugins', '/abs'] });
  assert.deepEqual(c.plugins.map((p) => [p.url, p.scheme, p.resolvedPath]), [
    ['file:///abs/p.wasm', 'file', '/abs/p.wasm'],
    ['file://rel/p.wasm', 'file', '/virtual/config/rel/p.wasm'],
    ['file://./dir%20x/p.wasm', 'file', '/virtual/config/dir x/p.wasm'],
    ['../plugins/p.wasm', 'file', '/virtual/plugins/p.wasm'],
    ['p.wasm', 'file', '/virtual/config/p.wasm'],
    ['http://127.0.0.1:8000/p.wasm', 'http', undefined],
    ['HTTPS://example.com/p.wasm', 'https', undefined],
    ['oci://registry.example.com/plugins/p:1.0.0', 'oci', undefined],
  ]);
});

test('bad urls and checksums are errors at the field', () => {
  const bad = ['ftp://x/p.wasm', 'oci://just-a-name', 'http://', 'file://'];
  const text = bad.map((u, i) => plugin(`p${i}`, '').replace(/url: .*/, `url: "${u}"`)).join('') + plugin('s', '  sha256: abc');
  const r = loadText(text);
  assert.deepEqual(r.errors.map((e) => `${e.location?.path} ${e.message}`), [
    'spec.url unsupported URL scheme "ftp://"',
    'spec.url "oci://just-a-name" is not an OCI reference (oci://registry/repository[:tag|@sha256:digest])',
    'spec.url "http://" is not a valid http URL',
    'spec.url file:// needs a path',
    'spec.sha256 must be 64 hexadecimal characters, got "abc"',
  ]);
});

test('sha256, pull settings, pluginName, env and the wasmgate block are carried over', () => {
  const sha = 'AB'.repeat(32);
  const [p] = mustLoad(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: foo, namespace: gw}
spec: {}
${plugin('p', `  sha256: ${sha}
  imagePullPolicy: Always
  imagePullSecret: regcred
  pluginName: my-root
  failStrategy: FAIL_OPEN
  vmConfig:
    env:
    - {name: A, value: x}
    - {name: __proto__, value: y}
    - {name: EMPTY}
  wasmgate:
    scope: {routes: [foo, other/bar], domains: [API.Example.com, "*.x.com"]}
    limits: {maxMemoryMiB: 64, callTimeoutMs: 50}`, 'gw')}`).plugins;
  assert.equal(p!.sha256, 'ab'.repeat(32));
  assert.equal(p!.imagePullPolicy, 'Always');
  assert.equal(p!.imagePullSecret, 'regcred');
  assert.equal(p!.rootId, 'my-root');
  assert.equal(p!.failStrategy, 'FAIL_OPEN');
  assert.deepEqual(Object.entries(p!.env), [['A', 'x'], ['__proto__', 'y'], ['EMPTY', '']]);
  assert.equal(Object.getPrototypeOf(p!.env), Object.prototype);
  assert.deepEqual(p!.scope, { routes: ['gw/foo', 'other/bar'], domains: ['api.example.com', '*.x.com'] });
  assert.deepEqual(p!.limits, { maxMemoryMiB: 64, callTimeoutMs: 50 });
});

test('references to Ingresses nobody defines are warnings (the rule could never match)', () => {
  const r = loadText(plugin('p', `  matchRules:
  - ingress: [nope]
    config: {k: v}
  wasmgate:
    scope: {routes: [ns/missing]}`));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(brief(r.warnings), [
    'WG_CONFIG_REF_NOT_FOUND 8:15 spec.matchRules[0].ingress[0]',
    'WG_CONFIG_REF_NOT_FOUND 11:22 spec.wasmgate.scope.routes[0]',
  ]);
  assert.match(r.warnings[0]!.message, /no Ingress default\/nope is defined/);
});
