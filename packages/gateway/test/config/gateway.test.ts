// The optional Gateway manifest, its defaults, and the CLI overrides for listen/admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_DEFAULTS } from '../../src/config/index.js';
import { brief, loadText, mustLoad } from './helpers.js';

const gateway = (spec: string, name = 'gw') => `---
apiVersion: wasmgate.io/v1alpha1
kind: Gateway
metadata: {name: ${name}}
spec:
${spec}
`;

test('without a Gateway every setting has its default', () => {
  const c = mustLoad('apiVersion: wasmgate.io/v1alpha1\nkind: Service\nmetadata: {name: s}\nspec: {endpoints: ["a:1"]}\n');
  assert.deepEqual(c.gateway, {
    listen: { host: '127.0.0.1', port: 8080 },
    admin: { host: '127.0.0.1', port: 15000 },
    limits: { requestBodyBufferBytes: 1048576, responseBodyBufferBytes: 1048576, maxMemoryMiB: 1024, callTimeoutMs: 1000, startTimeoutMs: 10000 },
    drainTimeoutMs: 10000,
    upstreamTimeoutMs: 15000,
    edge: { useRemoteAddress: true, xffNumTrustedHops: 0, preserveRequestId: true, stripEnvoyHeaders: true },
    upstreamPool: { maxConnections: 256, maxPendingRequests: 1024 },
    insecureRegistries: [],
    logLevel: 'info',
  });
  assert.equal(GATEWAY_DEFAULTS.requestBodyBufferBytes, 1024 * 1024);
});

test('every Gateway field is read; relative paths resolve against the manifest', () => {
  const c = mustLoad(gateway(`  listen: "0.0.0.0:80"
  admin: "[::1]:9901"
  accessLog: logs/access.log
  limits: {requestBodyBufferBytes: 10, responseBodyBufferBytes: 0, maxMemoryMiB: 64, callTimeoutMs: 50, startTimeoutMs: 500}
  workers: 3
  drainTimeoutMs: 0
  upstreamTimeoutMs: 2500
  edge: {useRemoteAddress: false, xffNumTrustedHops: 2, preserveRequestId: false, stripEnvoyHeaders: false}
  upstreamPool: {maxConnections: 8, maxPendingRequests: 0}
  imagePullSecret: ../secrets/config.json
  insecureRegistries: ["localhost:5000"]
  logLevel: trace`));
  assert.deepEqual({ ...c.gateway, location: undefined }, {
    listen: { host: '0.0.0.0', port: 80 },
    admin: { host: '::1', port: 9901 },
    accessLog: '/virtual/config/logs/access.log',
    limits: { requestBodyBufferBytes: 10, responseBodyBufferBytes: 0, maxMemoryMiB: 64, callTimeoutMs: 50, startTimeoutMs: 500 },
    workers: 3,
    drainTimeoutMs: 0,
    upstreamTimeoutMs: 2500,
    edge: { useRemoteAddress: false, xffNumTrustedHops: 2, preserveRequestId: false, stripEnvoyHeaders: false },
    upstreamPool: { maxConnections: 8, maxPendingRequests: 0 },
    imagePullSecret: '/virtual/secrets/config.json',
    insecureRegistries: ['localhost:5000'],
    logLevel: 'trace',
    location: undefined,
  });
  assert.equal(mustLoad(gateway('  accessLog: stdout')).gateway.accessLog, 'stdout');
});

test('limits outside their ranges are refused by validate, each at its path', () => {
  const r = loadText(gateway('  workers: 0\n  limits: {maxMemoryMiB: 5000, callTimeoutMs: 0}'));
  assert.deepEqual(r.errors.map((e) => e.location?.path).sort(), ['spec.limits.callTimeoutMs', 'spec.limits.maxMemoryMiB', 'spec.workers']);
});

test('CLI overrides win over the manifest; port 0 is allowed for listeners', () => {
  const c = mustLoad(gateway('  listen: "0.0.0.0:80"'), { listen: '127.0.0.1:0', admin: '[::1]:0' });
  assert.deepEqual(c.gateway.listen, { host: '127.0.0.1', port: 0 });
  assert.deepEqual(c.gateway.admin, { host: '::1', port: 0 });
});

test('bad addresses are errors at the field (or at the flag)', () => {
  const r = loadText(gateway('  listen: "http://0.0.0.0:80"\n  admin: "::1:9901"\n  logLevel: verbose'));
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.col} ${e.location?.path} ${e.message}`), [
    'WG_CONFIG_INVALID 8:13 spec.logLevel must be one of trace, debug, info, warn, error, critical, got "verbose"',
  ]);
  const r2 = loadText(gateway('  listen: "http://0.0.0.0:80"\n  admin: "::1:9901"'));
  assert.deepEqual(r2.errors.map((e) => `${e.location?.path} ${e.message}`), [
    'spec.listen listen "http://0.0.0.0:80" must be "host:port" without a scheme',
    'spec.admin admin "::1:9901" an IPv6 address must be bracketed, as in "[::1]:8080"',
  ]);
  const r3 = loadText(gateway('  admin: "127.0.0.1:1"'), { listen: 'localhost', admin: '1.2.3.4:99999' });
  assert.deepEqual(r3.errors.map((e) => `${e.location?.path} ${e.location?.file} ${e.message}`), [
    '--listen undefined --listen "localhost" must be "host:port", e.g. "127.0.0.1:8080" or "[::1]:8080"',
    '--admin undefined --admin "1.2.3.4:99999" port 99999 is out of range (0-65535)',
  ]);
});

test('listen and admin must differ', () => {
  const r = loadText(gateway('  listen: "127.0.0.1:9000"\n  admin: "127.0.0.1:9000"'));
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_INVALID 7:10 spec.admin']);
});

test('at most one Gateway', () => {
  const r = loadText(gateway('  logLevel: warn', 'one') + gateway('  logLevel: debug', 'two'));
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_DUPLICATE 10:18 metadata.name']);
  assert.match(r.errors[0]!.message, /more than one Gateway/);
  assert.match(r.errors[0]!.details[0]!, /first defined at \/virtual\/config\/test.yaml:4:18/);
});
