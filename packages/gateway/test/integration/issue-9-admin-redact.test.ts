// Issue 9 item 2: secrets are masked everywhere they could appear (one helper, redact.ts), and a
// file that is not Wasm is described by size and kind, never echoed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact, redactText, redactUrl } from '../../src/redact.js';
import { describeBytes } from '../../src/plugins/sources/digest.js';
import { KITCHEN_SINK, ingress, service, startGateway, startUpstream, wasmPlugin, writeConfig, type Manifest } from '../helpers/gateway.js';

test('the masking helper: URL passwords, credential headers and fields, PEM keys', () => {
  assert.equal(redactUrl('http://alice:pw@host:1/p.wasm'), 'http://alice:***@host:1/p.wasm');
  assert.equal(redactUrl('see oci://tok@reg/x:1 and https://u:p@h/'), 'see oci://***@reg/x:1 and https://u:***@h/');
  assert.equal(redactUrl('file:///a@b/p.wasm'), 'file:///a@b/p.wasm');
  assert.equal(redactText('sent Authorization: Bearer abc.def and cookie=sid=1'), 'sent Authorization: Bearer *** and cookie=***');
  assert.equal(redactText('Proxy-Authorization: Basic dXNlcjpwdw=='), 'Proxy-Authorization: Basic ***');
  assert.equal(redactText('x -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- y'), 'x -----BEGIN PRIVATE KEY----- *** -----END PRIVATE KEY----- y');
  assert.equal(redactText('nothing secret here'), 'nothing secret here');
  assert.deepEqual(redact({
    url: 'http://alice:pw@h/x', headers: { Authorization: 'Bearer t', cookie: 'a=b', accept: '*/*' }, pairs: [['set-cookie', 'x'], ['x-a', 'y']],
    password: 'p', auths: { 'reg:5000': { auth: 'dXM6cHc=', identitytoken: 'i' } }, imagePullSecret: '/etc/docker/config.json', adminTokenFile: '/run/token', n: 3,
  }), {
    url: 'http://alice:***@h/x', headers: { Authorization: '***', cookie: '***', accept: '*/*' }, pairs: [['set-cookie', '***'], ['x-a', 'y']],
    password: '***', auths: { 'reg:5000': { auth: '***', identitytoken: '***' } }, imagePullSecret: '/etc/docker/config.json', adminTokenFile: '/run/token', n: 3,
  });
});

test('non-Wasm bytes are described by kind, never shown', () => {
  const t = (s: string | number[]) => describeBytes(typeof s === 'string' ? new TextEncoder().encode(s) : new Uint8Array(s));
  assert.equal(t('root:x:0:0:root:/root:/bin/bash\n'), 'text');
  assert.equal(t('<!DOCTYPE html><html>'), 'an HTML page');
  assert.equal(t('{"a":1}'), 'JSON text');
  assert.equal(t([0x1f, 0x8b, 8, 0]), 'gzip data');
  assert.equal(t([0, 0x61, 0x73, 0x6d]), 'a truncated WebAssembly module');
  assert.equal(t([1, 2, 3, 0]), 'binary data');
  assert.equal(t(''), 'empty');
});

test('a plugin URL with a password is masked in /config_dump, /ready, /stats.json, reload outcomes and logs; a non-Wasm file is never echoed', async (t) => {
  const wasm = readFileSync(KITCHEN_SINK);
  const registry = await startUpstream(t, (_seen, res) => res.writeHead(200, { 'content-type': 'application/wasm' }).end(wasm));
  const secretUrl = `http://alice:pw-S3CRET@127.0.0.1:${registry.port}/plugin.wasm`;
  const docs: Manifest[] = [
    service('echo', ['127.0.0.1:9']), ingress('all', 'echo'),
    { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'remote', namespace: 'default' }, spec: { url: secretUrl } },
    // FAIL_OPEN and not Wasm: skipped, and its error is shown on the admin API.
    wasmPlugin('notwasm', 'PLACEHOLDER', { failStrategy: 'FAIL_OPEN' }),
  ];
  const dir = writeConfig(t, docs);
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT password=hunter2\n');
  // Point the FAIL_OPEN plugin at the text file inside the config folder.
  const file = join(dir, '03.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('file://PLACEHOLDER', 'file://secret.txt'));
  const gw = await startGateway(t, { paths: [dir] });
  const bodies: string[] = [];
  for (const path of ['/config_dump', '/ready', '/stats.json']) {
    const r = await gw.admin(path);
    assert.equal(r.status, 200, path);
    bodies.push(r.body);
  }
  const reload = await (await import('../helpers/gateway.js')).send(gw.adminPort, { method: 'POST', path: '/reload' });
  bodies.push(reload.body);
  const dump = JSON.parse(bodies[0]!);
  assert.equal(dump.plugins.find((p: { key: string }) => p.key === 'default/remote').url, `http://alice:***@127.0.0.1:${registry.port}/plugin.wasm`);
  const skipped = dump.skippedPlugins.find((p: { key: string }) => p.key === 'default/notwasm');
  assert.equal(skipped.code, 'WG_SOURCE_NOT_WASM');
  assert.match(skipped.message, /is not a WebAssembly module \(\d+ bytes, text\)/);
  await gw.gateway.settle();
  for (const text of [...bodies, gw.logs.join('\n')]) {
    assert.ok(!text.includes('pw-S3CRET'), 'no password');
    assert.ok(!text.includes('TOP-SECRET') && !text.includes('hunter2'), 'no file contents');
  }
});
