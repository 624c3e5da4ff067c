// Issue 9 item 2: the admin listener answers only to its own Host (DNS rebinding), refuses
// cross-origin state changes (CSRF), and needs the bearer token when one is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminToken, allowedHostHeaders } from '../../src/admin/guard.js';
import { gatewaySpec, ingress, send, service, startGateway, writeConfig, type Manifest, type TestGateway } from '../helpers/gateway.js';

const base = (): Manifest[] => [service('echo', ['127.0.0.1:9']), ingress('all', 'echo')];
const raw = (gw: TestGateway, path: string, headers: string[], method = 'GET') => send(gw.adminPort, { path, method, headers });
const code = (body: string) => (JSON.parse(body) as { code?: string }).code;

test('Host: the admin address, localhost/127.0.0.1/[::1] on its port, and adminAllowedHosts; anything else is 403 WG_ADMIN_HOST', async (t) => {
  const gw = await startGateway(t, [...base(), gatewaySpec({ adminAllowedHosts: ['gw.internal', 'other.example:8443'] })]);
  const P = gw.adminPort;
  for (const host of [`127.0.0.1:${P}`, `localhost:${P}`, `LOCALHOST:${P}`, `[::1]:${P}`, `gw.internal:${P}`, 'other.example:8443']) {
    const r = await raw(gw, '/config_dump', ['Host', host]);
    assert.equal(r.status, 200, host);
  }
  for (const host of [`evil.example:${P}`, `127.0.0.1:${P + 1}`, 'localhost', `gw.internal:${P + 1}`, `other.example:${P}`]) {
    const r = await raw(gw, '/config_dump', ['Host', host]);
    assert.equal(r.status, 403, host);
    assert.equal(code(r.body), 'WG_ADMIN_HOST');
    assert.ok(!r.body.includes('routes'), 'nothing of the configuration');
  }
  const post = await raw(gw, '/reload', ['Host', `evil.example:${P}`], 'POST');
  assert.equal(post.status, 403);
  assert.equal(gw.gateway.reloadCount, 0);
  // Probes and scrapers name the target by address: /healthz, /ready and /metrics answer any Host.
  for (const path of ['/healthz', '/ready', '/metrics']) assert.equal((await raw(gw, path, ['Host', `10.1.2.3:${P}`])).status, 200, path);
  // The dashboard page and its data are guarded like the rest.
  assert.equal((await raw(gw, '/', ['Host', `evil.example:${P}`])).status, 403);
  assert.equal((await raw(gw, '/stats.json', ['Host', `evil.example:${P}`])).status, 403);
});

test('POST from another origin (Origin, or Sec-Fetch-Site cross-site) is 403 WG_ADMIN_CROSS_ORIGIN; same origin and no Origin (curl) reload', async (t) => {
  const gw = await startGateway(t, base());
  const P = gw.adminPort;
  const host = ['Host', `127.0.0.1:${P}`];
  for (const extra of [['Origin', 'http://evil.example'], ['Origin', 'null'], ['Origin', `https://127.0.0.1:${P}`], ['Origin', `http://127.0.0.1:${P + 1}`],
    ['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Site', 'same-site']]) {
    const r = await raw(gw, '/reload', [...host, ...extra], 'POST');
    assert.equal(r.status, 403, extra.join(': '));
    assert.equal(code(r.body), 'WG_ADMIN_CROSS_ORIGIN');
  }
  assert.equal(gw.gateway.reloadCount, 0);
  assert.equal((await raw(gw, '/reload', [...host, 'Origin', `http://127.0.0.1:${P}`, 'Sec-Fetch-Site', 'same-origin'], 'POST')).status, 200);
  assert.equal((await raw(gw, '/reload', [...host, 'Origin', `http://localhost:${P}`], 'POST')).status, 200);
  assert.equal((await raw(gw, '/reload', host, 'POST')).status, 200);
  assert.equal(gw.gateway.reloadCount, 3);
  // A GET carrying a foreign Origin changes nothing and is served (the browser keeps the answer from the page).
  assert.equal((await raw(gw, '/healthz', [...host, 'Origin', 'http://evil.example'])).status, 200);
});

test('with adminTokenFile: POST, /config_dump and /stats.json need the bearer token; probes and the page do not', async (t) => {
  const dir = writeConfig(t, [...base(), gatewaySpec({ adminTokenFile: 'admin-token' })]);
  writeFileSync(join(dir, 'admin-token'), 'tok-3f9a1c\n');
  const gw = await startGateway(t, { paths: [dir] });
  const host = ['Host', `127.0.0.1:${gw.adminPort}`];
  for (const [method, path] of [['GET', '/config_dump'], ['GET', '/stats.json'], ['POST', '/reload']] as const) {
    const none = await raw(gw, path, host, method);
    assert.equal(none.status, 401, path);
    assert.equal(code(none.body), 'WG_ADMIN_UNAUTHORIZED');
    assert.match(String(none.headers['www-authenticate']), /^Bearer /);
    const wrong = await raw(gw, path, [...host, 'Authorization', 'Bearer tok-wrong'], method);
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.body.includes('tok-3f9a1c'));
    const right = await raw(gw, path, [...host, 'Authorization', 'Bearer tok-3f9a1c'], method);
    assert.equal(right.status, 200, path);
  }
  for (const path of ['/healthz', '/ready', '/metrics', '/']) assert.equal((await raw(gw, path, host)).status, 200, path);
  // The token is never shown: /config_dump names the file only.
  const dump = await raw(gw, '/config_dump', [...host, 'Authorization', 'Bearer tok-3f9a1c']);
  assert.ok(!dump.body.includes('tok-3f9a1c'));
  assert.equal(JSON.parse(dump.body).gateway.adminTokenFile, join(dir, 'admin-token'));
  // The token file is read per request: rotating it takes effect without a reload.
  writeFileSync(join(dir, 'admin-token'), 'tok-rotated\n');
  assert.equal((await raw(gw, '/config_dump', [...host, 'Authorization', 'Bearer tok-3f9a1c'])).status, 401);
  assert.equal((await raw(gw, '/config_dump', [...host, 'Authorization', 'Bearer tok-rotated'])).status, 200);
});

test('allowed Host values are defined precisely; WASMGATE_ADMIN_TOKEN wins over the token file', () => {
  const sorted = (s: Set<string>) => [...s].sort();
  assert.deepEqual(sorted(allowedHostHeaders({ bound: { address: '127.0.0.1', port: 15000 }, configuredHost: '127.0.0.1' })),
    ['127.0.0.1:15000', '[::1]:15000', 'localhost:15000']);
  assert.deepEqual(sorted(allowedHostHeaders({ bound: { address: '::', port: 9 }, configuredHost: '::' })),
    ['127.0.0.1:9', '[::1]:9', '[::]:9', 'localhost:9']);
  // A LAN address: itself only (plus adminAllowedHosts), never localhost.
  assert.deepEqual(sorted(allowedHostHeaders({ bound: { address: '10.0.0.5', port: 15000 }, configuredHost: '10.0.0.5', allowedHosts: ['gw.lan'] })),
    ['10.0.0.5:15000', 'gw.lan:15000']);
  assert.deepEqual(sorted(allowedHostHeaders({ bound: { address: '127.0.0.1', port: 80 }, configuredHost: 'localhost' })),
    ['127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:80', 'localhost', 'localhost:80']);
  assert.equal(adminToken({ bound: { address: '127.0.0.1', port: 1 }, configuredHost: '127.0.0.1', env: {} }), undefined);
  assert.equal(adminToken({ bound: { address: '127.0.0.1', port: 1 }, configuredHost: '127.0.0.1', tokenFile: '/nonexistent', env: { WASMGATE_ADMIN_TOKEN: ' from-env ' } }), 'from-env');
});
