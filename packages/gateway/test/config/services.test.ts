// Services: endpoints, ports, aliases, and how plugin cluster names find them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCluster } from '../../src/config/index.js';
import { brief, loadText, mustLoad } from './helpers.js';

const service = (name: string, spec: string, ns = 'default') => `---
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}
`;

const config = mustLoad(
  service('redis', '  endpoints: ["127.0.0.1:6379"]\n  protocol: redis\n  aliases: [Redis.Static]', 'infra') +
    service('auth', '  endpoints: ["[::1]:1", "auth.internal:2"]\n  tls: true\n  ports: [{port: 8080, targetPort: 9443}, {name: plain, port: 80}]'),
);

test('services are resolved and sorted by namespace/name', () => {
  assert.deepEqual(config.services.map((s) => `${s.namespace}/${s.name}`), ['default/auth', 'infra/redis']);
  const [auth, redis] = config.services;
  assert.equal(auth!.fqdn, 'auth.default.svc.cluster.local');
  assert.deepEqual(auth!.endpoints, [{ host: '::1', port: 1 }, { host: 'auth.internal', port: 2 }]);
  assert.deepEqual(auth!.ports, [{ port: 8080, targetPort: 9443 }, { name: 'plain', port: 80 }]);
  assert.equal(auth!.tls, true);
  assert.equal(auth!.protocol, 'http');
  assert.equal(redis!.protocol, 'redis');
  assert.deepEqual(redis!.aliases, ['redis.static']);
});

test('findCluster resolves Istio cluster names, FQDN variants and aliases', () => {
  const ep = (name: string) => {
    const t = findCluster(config, name);
    return t ? `${t.service.name}:${t.port} ${t.endpoints.map((e) => `${e.host}:${e.port}`).join(',')}` : 'none';
  };
  assert.equal(ep('outbound|8080||auth.default.svc.cluster.local'), 'auth:8080 ::1:9443,auth.internal:9443');
  assert.equal(ep('outbound|80|v1|auth.default.svc.cluster.local'), 'auth:80 ::1:1,auth.internal:2');
  assert.equal(ep('outbound|80||redis.static'), 'redis:80 127.0.0.1:6379');
  assert.equal(ep('outbound|6379||redis.infra.svc.cluster.local?db=2'), 'redis:6379 127.0.0.1:6379');
  assert.equal(ep('auth.default'), 'auth:0 ::1:1,auth.internal:2');
  assert.equal(ep('outbound|80||llm.dns'), 'none');
});

test('bad endpoints, dotted names, duplicate ports and aliases are errors', () => {
  const r = loadText(
    service('a.b', '  endpoints: ["localhost", "::1:80", "http://x:80", "1.2.3.4:70000", "h:0"]') +
      service('c', '  endpoints: ["h:1"]\n  ports: [{name: x, port: 1}, {name: x, port: 1}]\n  aliases: [a.b.default.svc.cluster.local]') +
      service('d', '  endpoints: ["h:1"]\n  aliases: [shared.dns]') +
      service('e', '  endpoints: ["h:1"]\n  aliases: [shared.dns]'),
  );
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.path} ${e.message}`), [
    'WG_CONFIG_INVALID metadata.name Service name "a.b" must not contain "."',
    'WG_CONFIG_INVALID spec.endpoints[0] endpoint "localhost" must be "host:port", e.g. "127.0.0.1:8080" or "[::1]:8080"',
    'WG_CONFIG_INVALID spec.endpoints[1] endpoint "::1:80" an IPv6 address must be bracketed, as in "[::1]:8080"',
    'WG_CONFIG_INVALID spec.endpoints[2] endpoint "http://x:80" must be "host:port" without a scheme',
    'WG_CONFIG_INVALID spec.endpoints[3] endpoint "1.2.3.4:70000" port 70000 is out of range (1-65535)',
    'WG_CONFIG_INVALID spec.endpoints[4] endpoint "h:0" port 0 is out of range (1-65535)',
    'WG_CONFIG_DUPLICATE spec.ports[1].name port name "x" is used twice in Service default/c',
    'WG_CONFIG_DUPLICATE spec.ports[1].port port 1 is listed twice in Service default/c',
    'WG_CONFIG_DUPLICATE spec.aliases[0] cluster name "a.b.default.svc.cluster.local" is already claimed',
    'WG_CONFIG_DUPLICATE spec.aliases[0] cluster name "shared.dns" is already claimed',
  ]);
});

test('an empty endpoint list is invalid', () => {
  assert.deepEqual(brief(loadText(service('s', '  endpoints: []')).errors), ['WG_CONFIG_INVALID 6:14 spec.endpoints']);
});
