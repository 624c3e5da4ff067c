// Issue 9: Ingress spec.tls and kubernetes.io/tls Secrets (config/resolve-tls.ts), listenTls, the
// ssl-redirect / auth-tls-secret annotations, and WG_CONFIG_TLS_SECRET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { certificateFor } from '../../src/config/resolve-tls.js';
import { brief, loadText, mustLoad } from './helpers.js';

const fixture = (n: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/tls/${n}`, import.meta.url)), 'utf8');
const CRT = fixture('self-signed.crt');
const KEY = fixture('self-signed.key');
const b64 = (s: string) => Buffer.from(s).toString('base64');

const secret = (name: string, type: string, data: Record<string, string>) => `---
apiVersion: v1
kind: Secret
metadata: {name: ${name}}
type: ${type}
data: ${JSON.stringify(data)}
`;

const ingress = (tls: string, annotations = '{}') => `---
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: up}
spec: {endpoints: ["127.0.0.1:9"]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, annotations: ${annotations}}
spec:
  tls: ${tls}
  rules:
  - host: a.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: up, port: {number: 80}}}}]}
`;

const GW = '---\napiVersion: wasmgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw}\nspec: {listenTls: "127.0.0.1:8443"}\n';

test('spec.tls with a kubernetes.io/tls Secret becomes a certificate; listenTls is read; ssl-redirect is supported', () => {
  const c = mustLoad(GW + secret('web-tls', 'kubernetes.io/tls', { 'tls.crt': b64(CRT), 'tls.key': b64(KEY) })
    + ingress('[{hosts: [a.test, "*.b.test"], secretName: web-tls}]', '{higress.io/ssl-redirect: "true"}'));
  assert.deepEqual(c.gateway.listenTls, { host: '127.0.0.1', port: 8443 });
  assert.equal(c.tls?.certificates.length, 1);
  assert.deepEqual(c.tls?.certificates[0]?.hosts, ['a.test', '*.b.test']);
  assert.equal(c.tls?.certificates[0]?.cert, CRT);
  assert.deepEqual(c.tls?.sslRedirect, ['default/web']);
  assert.equal(certificateFor(c.tls, 'x.b.test')?.secret, 'default/web-tls');
  assert.equal(certificateFor(c.tls, 'y.x.b.test')?.secret, 'default/web-tls', 'unknown names get the default (first) certificate');
  assert.deepEqual(loadText(GW + secret('web-tls', 'kubernetes.io/tls', { 'tls.crt': b64(CRT), 'tls.key': b64(KEY) })
    + ingress('[{hosts: [a.test], secretName: web-tls}]', '{nginx.ingress.kubernetes.io/ssl-redirect: "true"}')).warnings.map((w) => w.code), []);
});

test('a missing Secret, a wrong type, a missing key or a key that does not match are errors at the secretName', () => {
  const missing = loadText(ingress('[{hosts: [a.test], secretName: nope}]'));
  assert.deepEqual(brief(missing.errors), ['WG_CONFIG_REF_NOT_FOUND 11:39 spec.tls[0].secretName']);
  assert.deepEqual(missing.warnings.map((w) => w.message), ['spec.tls has no effect: the Gateway has no listenTls (HTTPS listener)']);
  const opaque = loadText(secret('s', 'Opaque', { 'tls.crt': b64(CRT), 'tls.key': b64(KEY) }) + ingress('[{hosts: [a.test], secretName: s}]'));
  assert.deepEqual(opaque.errors.map((e) => e.code), ['WG_CONFIG_TLS_SECRET']);
  assert.match(opaque.errors[0]!.message, /type Opaque, not kubernetes\.io\/tls/);
  const noKey = loadText(secret('s', 'kubernetes.io/tls', { 'tls.crt': b64(CRT) }) + ingress('[{hosts: [a.test], secretName: s}]'));
  assert.match(noKey.errors[0]!.message, /has no tls\.key/);
  const garbage = loadText(secret('s', 'kubernetes.io/tls', { 'tls.crt': b64(CRT), 'tls.key': b64('not a key') }) + ingress('[{hosts: [a.test], secretName: s}]'));
  assert.deepEqual(garbage.errors.map((e) => e.code), ['WG_CONFIG_TLS_SECRET']);
});

test('listenTls may not share the listen or admin address', () => {
  const r = loadText('---\napiVersion: wasmgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw}\nspec: {listen: "127.0.0.1:8080", listenTls: "127.0.0.1:8080"}\n');
  assert.deepEqual(r.errors.map((e) => e.code), ['WG_CONFIG_INVALID']);
  assert.deepEqual(mustLoad('apiVersion: wasmgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw}\n', { listenTls: '0.0.0.0:443' }).gateway.listenTls, { host: '0.0.0.0', port: 443 });
});
