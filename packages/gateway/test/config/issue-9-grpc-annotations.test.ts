// Issue 9 item 5: the backend-protocol annotation (Higress and nginx prefixes) on routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ECHO_SERVICE, loadText, mustLoad } from './helpers.js';

const ingress = (name: string, path: string, annotations: Record<string, string>) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations: ${JSON.stringify(annotations)}
spec:
  rules:
  - http:
      paths:
      - {path: "${path}", pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
`;

test('backend-protocol: GRPC / HTTP2 → HTTP/2 cleartext, GRPCS → HTTP/2 over TLS, HTTPS → TLS, HTTP → neither (any case, either prefix)', () => {
  const config = mustLoad(ECHO_SERVICE +
    ingress('g', '/g', { 'higress.io/backend-protocol': 'GRPC' }) +
    ingress('gs', '/gs', { 'nginx.ingress.kubernetes.io/backend-protocol': 'grpcs' }) +
    ingress('h2', '/h2', { 'higress.io/backend-protocol': 'HTTP2' }) +
    ingress('hs', '/hs', { 'higress.io/backend-protocol': 'HTTPS' }) +
    ingress('h', '/h', { 'higress.io/backend-protocol': 'HTTP' }) +
    ingress('none', '/none', {}));
  const by = (name: string) => config.routes.find((r) => r.name === `default/${name}`)!;
  const facts = (name: string) => ({ http2: by(name).http2 ?? false, tls: by(name).tls ?? false });
  assert.deepEqual(facts('g'), { http2: true, tls: false });
  assert.deepEqual(facts('gs'), { http2: true, tls: true });
  assert.deepEqual(facts('h2'), { http2: true, tls: false });
  assert.deepEqual(facts('hs'), { http2: false, tls: true });
  assert.deepEqual(facts('h'), { http2: false, tls: false });
  assert.deepEqual(facts('none'), { http2: false, tls: false });
});

test('backend-protocol: an unknown value is a warning (the backend stays HTTP/1.1); the annotation is no longer "not supported"', () => {
  const r = loadText(ECHO_SERVICE + ingress('x', '/x', { 'higress.io/backend-protocol': 'dubbo' }) + ingress('g', '/g', { 'higress.io/backend-protocol': 'GRPC' }));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings.map((w) => `${w.code} ${w.location?.path} ${w.message}`), [
    'WG_CONFIG_IGNORED metadata.annotations["higress.io/backend-protocol"] backend-protocol "DUBBO" is not one of HTTP, HTTPS, HTTP2, GRPC, GRPCS; the backend is reached over HTTP/1.1',
  ]);
});
