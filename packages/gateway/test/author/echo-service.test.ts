/**
 * The built-in echo backend as a Service (`spec.echo: true`), which the projects of `wasmgate init`
 * route to: serve starts the echo backend and routes to it, validate accepts it, and a Service with
 * both echo and endpoints, or neither, is a config error at its line.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../helpers/daemon.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { send } from '../helpers/gateway.js';
import { tempDir } from '../helpers/author.js';

const ROUTE = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: all, namespace: default}
spec:
  defaultBackend: {service: {name: echo, port: {number: 80}}}
`;
const service = (spec: string) => `apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: echo, namespace: default}
spec:
${spec}
---
${ROUTE}`;

describe('Service spec.echo', () => {
  test('serve routes to the built-in echo backend; validate accepts the config', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, service('  echo: true'));
    const v = await runCli(['validate', '--config', file]);
    assert.equal(v.code, 0, v.stdout);
    const port = await freePort();
    await spawnCli(t, ['serve', '--config', file, '--listen', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', '--workers', '1', '--no-watch'], /wasmgate serving on/);
    const r = await send(port, { path: '/echo?x=1', headers: { 'x-probe': 'yes' } });
    assert.equal(r.status, 200);
    const echoed = JSON.parse(r.body) as { method: string; path: string; headers: Record<string, string> };
    assert.equal(echoed.path, '/echo?x=1');
    assert.equal(echoed.headers['x-probe'], 'yes');
  });

  test('echo with endpoints, neither, or no echo backend given: WG_CONFIG_INVALID at the Service', (t) => {
    const dir = tempDir(t);
    const both = join(dir, 'both.yaml');
    writeFileSync(both, service('  echo: true\n  endpoints: ["127.0.0.1:9"]'));
    const a = loadConfig([both], { echoBackend: '127.0.0.1:1' });
    assert.deepEqual(a.errors.map((e) => [e.code, e.location?.line, e.message]), [['WG_CONFIG_INVALID', 5, 'a Service has either endpoints or echo: true, not both']]);
    const neither = join(dir, 'neither.yaml');
    writeFileSync(neither, service('  tls: false'));
    const b = loadConfig([neither], {});
    assert.deepEqual(b.errors.map((e) => [e.location?.path, e.message]), [['spec.endpoints', 'is required']]);
    assert.match(b.errors[0]!.hint!, /echo: true/);
    const embedder = join(dir, 'embedder.yaml');
    writeFileSync(embedder, service('  echo: true'));
    const c = loadConfig([embedder], {});
    assert.deepEqual(c.errors.map((e) => e.message), ['echo: true needs the built-in echo backend, which only wasmgate serve, dev and run start']);
    const ok = loadConfig([embedder], { echoBackend: '127.0.0.1:4321' });
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.config!.services[0]!.endpoints, [{ host: '127.0.0.1', port: 4321 }]);
  });
});
