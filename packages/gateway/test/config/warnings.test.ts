// Unknown fields are warnings with a location, never errors: Higress manifests carry fields we ignore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, ECHO_SERVICE, loadText } from './helpers.js';

const TEXT = `${ECHO_SERVICE}---
apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata:
  name: key-auth
  namespace: higress-system
  uid: 0b5a1c8e-1111-2222-3333-444455556666
  resourceVersion: "42"
  labels: {app: gw}
  annotations:
spec:
  selector:
    matchLabels: {higress: higress-system-higress-gateway}
  url: oci://higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth:1.0.0
  matchRules:
  - domain: [a.com]
    confg: {allow: [consumer1]}
  wasmgate:
    scope: {domains: [a.com]}
    limit: {maxMemoryMiB: 64}
status:
  phase: Ready
extra: true
`;

test('unknown fields, at any depth, are warnings pointing at the key', () => {
  const r = loadText(TEXT);
  assert.deepEqual(r.errors, []);
  assert.ok(r.config, 'warnings do not stop the config');
  assert.deepEqual(brief(r.warnings), [
    'WG_CONFIG_UNKNOWN_FIELD 18:3 spec.selector',
    'WG_CONFIG_UNKNOWN_FIELD 23:5 spec.matchRules[0].confg',
    'WG_CONFIG_UNKNOWN_FIELD 26:5 spec.wasmgate.limit',
    'WG_CONFIG_UNKNOWN_FIELD 29:1 extra',
  ]);
  assert.equal(r.warnings[0]!.message, 'unknown field "selector" is ignored');
  assert.equal(r.warnings[0]!.location?.file, '/virtual/config/test.yaml');
});

test('metadata extras, status and empty (null) fields raise nothing', () => {
  const r = loadText(`${ECHO_SERVICE}  ports:
  tls:
---
apiVersion: wasmgate.io/v1alpha1
kind: Gateway
metadata: {name: gw, generation: 3, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
status: {}
`);
  assert.deepEqual([...r.errors, ...r.warnings], []);
  assert.deepEqual(r.config!.services[0]!.ports, []);
});

test('settings wasmgate accepts but cannot honour are warned about', () => {
  const r = loadText(`apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: {name: p}
spec:
  url: registry.example.com/plugins/p:1.0
  verificationKey: "-----BEGIN PUBLIC KEY-----"
  vmConfig:
    env:
    - {name: FROM_HOST, valueFrom: HOST}
    - {name: INLINE, value: "1", valueFrom: INLINE}
`);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(brief(r.warnings), [
    'WG_CONFIG_IGNORED 5:8 spec.url',
    'WG_CONFIG_IGNORED 6:20 spec.verificationKey',
    'WG_CONFIG_IGNORED 9:36 spec.vmConfig.env[0].valueFrom',
  ]);
  assert.match(r.warnings[0]!.message, /Istio and Higress would pull it as oci:\/\//);
  assert.deepEqual(r.config!.plugins[0]!.env, { INLINE: '1' });
});
