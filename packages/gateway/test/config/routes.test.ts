// Ingresses flattened into routes, resolved to Service ports, in Envoy/Higress match order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { CASES, ECHO_SERVICE, brief, loadText } from './helpers.js';

const { config, errors, warnings } = loadConfig(`${CASES}routes`);

test('the routes fixture is valid', () => {
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
});

test('routes are ordered: exact hosts, longer wildcards, then host-less; Exact paths, longer prefixes, default backend last', () => {
  assert.deepEqual(
    config!.routes.map((r) => `${r.host ?? '-'} ${r.pathType} ${r.path}${r.isDefaultBackend ? ' (default)' : ''}`),
    [
      'only.example.com Prefix /foo',
      'api.example.com Exact /health',
      'api.example.com Prefix /v1/users',
      'api.example.com Prefix /v1',
      'api.example.com Prefix /',
      '*.eu.example.com Prefix /',
      '*.example.com Prefix /',
      '- Prefix /static',
      '- Prefix / (default)',
    ],
  );
});

test('each route names its Ingress, cluster and endpoints (targetPort applied)', () => {
  const users = config!.routes.find((r) => r.path === '/v1/users')!;
  assert.equal(users.name, 'default/api');
  assert.equal(users.ingress, 'api');
  assert.equal(users.port, 80);
  assert.equal(users.clusterName, 'outbound|80||echo.default.svc.cluster.local');
  assert.deepEqual(users.endpoints, [{ host: '127.0.0.1', port: 9000 }, { host: '::1', port: 9000 }]);
  assert.deepEqual(users.service, { namespace: 'default', name: 'echo', fqdn: 'echo.default.svc.cluster.local' });
  // Port 8081 has no targetPort: the endpoints' own ports are used.
  const health = config!.routes.find((r) => r.path === '/health')!;
  assert.equal(health.clusterName, 'outbound|8081||echo.default.svc.cluster.local');
  assert.deepEqual(health.endpoints, [{ host: '127.0.0.1', port: 1 }, { host: '::1', port: 1 }]);
  const implSpecific = config!.routes.find((r) => r.declaredPathType === 'ImplementationSpecific')!;
  assert.equal(implSpecific.pathType, 'Prefix');
  assert.equal(implSpecific.path, '/');
  assert.equal(implSpecific.location.path, 'spec.rules[0].http.paths[1].path');
  assert.equal(implSpecific.location.line, 45);
});

test('a Service without ports accepts any port number', () => {
  const r = loadText(`${ECHO_SERVICE}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: any-port}
spec:
  defaultBackend: {service: {name: echo, port: {number: 7777}}}
`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.routes[0]!.clusterName, 'outbound|7777||echo.default.svc.cluster.local');
  assert.deepEqual(r.config!.routes[0]!.endpoints, [{ host: '127.0.0.1', port: 9000 }]);
});

test('a port name needs declared ports; number and name together are invalid', () => {
  const r = loadText(`${ECHO_SERVICE}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: by-name}
spec:
  rules:
  - http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: echo, port: {name: http}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: echo, port: {name: http, number: 80}}}}
`);
  assert.deepEqual(brief(r.errors), [
    'WG_CONFIG_REF_NOT_FOUND 15:83 spec.rules[0].http.paths[0].backend.service.port.name',
    'WG_CONFIG_INVALID 16:76 spec.rules[0].http.paths[1].backend.service.port',
  ]);
  assert.match(r.errors[0]!.hint!, /declares no spec.ports/);
});

test('a path that an earlier route already covers is dropped with a warning', () => {
  const r = loadText(`${ECHO_SERVICE}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: first}
spec:
  rules: [{host: a.com, http: {paths: [{path: /x, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: second}
spec:
  rules: [{host: a.com, http: {paths: [{path: /x, pathType: Prefix, backend: {service: {name: echo, port: {number: 81}}}}]}}]
`);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.routes.map((x) => x.name), ['default/first']);
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_IGNORED 18:47 spec.rules[0].http.paths[0].path']);
  assert.match(r.warnings[0]!.message, /already routed by default\/first/);
  assert.match(r.warnings[0]!.details[0]!, /^first defined at \/virtual\/config\/test.yaml:12:47$/);
});

test('resource backends and rules without http are reported', () => {
  const r = loadText(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: odd}
spec:
  defaultBackend: {resource: {kind: StorageBucket, name: assets}}
  rules:
  - host: nothing.example.com
`);
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_INVALID 5:30 spec.defaultBackend.resource']);
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_IGNORED 7:5 spec.rules[0]']);
});
