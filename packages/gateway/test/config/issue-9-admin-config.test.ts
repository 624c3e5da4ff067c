// Issue 9 item 2: the Gateway's admin-security fields, the WG_CONFIG_ADMIN_EXPOSED warning and the
// confinement of file:// plugin paths (WG_CONFIG_PLUGIN_PATH).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { loadText } from './helpers.js';

const gateway = (lines: string) => `apiVersion: wasmgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n${lines}\n`;
const pluginDoc = (url: string) => `---\napiVersion: extensions.higress.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p, namespace: default}\nspec:\n  url: ${JSON.stringify(url)}\n`;
const codes = (ps: { code: string }[]) => ps.map((p) => p.code);

test('an admin on 0.0.0.0, :: or a LAN address without a token is a WG_CONFIG_ADMIN_EXPOSED warning at spec.admin', () => {
  for (const admin of ['0.0.0.0:15000', '[::]:15000', '192.168.1.5:15000']) {
    const r = loadText(gateway(`  admin: "${admin}"`));
    assert.deepEqual(codes(r.errors), []);
    const w = r.warnings.filter((x) => x.code === 'WG_CONFIG_ADMIN_EXPOSED');
    assert.equal(w.length, 1, admin);
    assert.equal(w[0]!.location?.path, 'spec.admin');
    assert.match(w[0]!.message, /reachable from other hosts/);
  }
  // From --admin: located at the flag.
  const flag = loadText(gateway('  logLevel: info'), { admin: '0.0.0.0:0' });
  assert.equal(flag.warnings.find((x) => x.code === 'WG_CONFIG_ADMIN_EXPOSED')?.location?.path, '--admin');
});

test('loopback admins, or a token file, silence the warning', () => {
  for (const admin of ['127.0.0.1:15000', 'localhost:15000', '[::1]:15000', '127.0.0.2:1']) {
    assert.deepEqual(codes(loadText(gateway(`  admin: "${admin}"`)).warnings), [], admin);
  }
  const r = loadText(gateway('  admin: "0.0.0.0:15000"\n  adminTokenFile: secrets/admin-token\n  adminAllowedHosts: ["Gw.Example:15000", "gw.internal"]'));
  assert.deepEqual(codes(r.warnings), []);
  assert.equal(r.config?.gateway.adminTokenFile, '/virtual/config/secrets/admin-token');
  assert.deepEqual(r.config?.gateway.adminAllowedHosts, ['gw.example:15000', 'gw.internal']);
});

test('adminAllowedHosts entries must be Host header values; a missing or empty token file is an error (files checked)', () => {
  const r = loadText(gateway('  adminAllowedHosts: ["http://x:1", "ok.example"]'));
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.path}`), ['WG_CONFIG_INVALID spec.adminAllowedHosts[0]']);
  const dir = mkdtempSync(join(tmpdir(), 'wg-issue9-'));
  try {
    writeFileSync(join(dir, 'gw.yaml'), gateway('  adminTokenFile: token.txt'));
    const missing = loadConfig([dir]);
    assert.deepEqual(missing.errors.map((e) => `${e.code} ${e.location?.path}`), ['WG_CONFIG_INVALID spec.adminTokenFile']);
    assert.match(missing.errors[0]!.message, /does not exist/);
    writeFileSync(join(dir, 'token.txt'), 's3cret-token\n');
    const ok = loadConfig([dir]);
    assert.deepEqual(codes(ok.errors), []);
    writeFileSync(join(dir, 'token.txt'), '  \n');
    const empty = loadConfig([dir]);
    assert.match(empty.errors[0]!.message, /is empty/);
    assert.ok(!JSON.stringify(ok).includes('s3cret-token'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relative plugin path may not climb out of the config folder; absolute paths may, until pluginDirs is set', () => {
  const root = mkdtempSync(join(tmpdir(), 'wg-issue9-'));
  try {
    const cfg = join(root, 'cfg');
    const outside = join(root, 'outside');
    mkdirSync(cfg);
    mkdirSync(outside);
    mkdirSync(join(cfg, 'plugins'));
    writeFileSync(join(outside, 'p.wasm'), 'x');
    writeFileSync(join(cfg, 'plugins', 'p.wasm'), 'x');
    const run = (docs: string) => {
      writeFileSync(join(cfg, 'all.yaml'), docs);
      return loadConfig([cfg]);
    };
    // Inside: fine, relative or absolute.
    assert.deepEqual(codes(run(pluginDoc('file://plugins/p.wasm')).errors), []);
    assert.deepEqual(codes(run(pluginDoc('./plugins/p.wasm')).errors), []);
    // ../ out of the folder: refused, naming the fix; the file is neither read nor watched.
    const up = run(pluginDoc('file://../outside/p.wasm'));
    assert.deepEqual(up.errors.map((e) => `${e.code} ${e.location?.path}`), ['WG_CONFIG_PLUGIN_PATH spec.url']);
    assert.match(up.errors[0]!.message, /outside the config folder/);
    assert.match(up.errors[0]!.hint ?? '', /pluginDirs/);
    assert.deepEqual(up.pluginFiles, []);
    assert.deepEqual(codes(run(pluginDoc('plugins/../../outside/p.wasm')).errors), ['WG_CONFIG_PLUGIN_PATH']);
    // An absolute path is an explicit choice: allowed without pluginDirs.
    assert.deepEqual(codes(run(pluginDoc(`file://${join(outside, 'p.wasm')}`)).errors), []);
    // With pluginDirs every path is confined: the folder listed is allowed, anything else is not.
    const gw = (dirs: string) => `${gateway(`  pluginDirs: ${dirs}`)}`;
    assert.deepEqual(codes(run(gw('[]') + pluginDoc(`file://${join(outside, 'p.wasm')}`)).errors), ['WG_CONFIG_PLUGIN_PATH']);
    assert.deepEqual(codes(run(gw('["../outside"]') + pluginDoc(`file://${join(outside, 'p.wasm')}`)).errors), []);
    assert.deepEqual(codes(run(gw('["../outside"]') + pluginDoc('file://../outside/p.wasm')).errors), []);
    assert.deepEqual(codes(run(gw('[]') + pluginDoc('file:///etc/passwd')).errors), ['WG_CONFIG_PLUGIN_PATH']);
    // …and a symlink inside the config folder that leads out of it is followed.
    symlinkSync(join(outside, 'p.wasm'), join(cfg, 'plugins', 'link.wasm'));
    assert.deepEqual(codes(run(gw('[]') + pluginDoc('plugins/link.wasm')).errors), ['WG_CONFIG_PLUGIN_PATH']);
    assert.deepEqual(codes(run(pluginDoc('plugins/link.wasm')).errors), []);
    // The override (embedders, wasmgate run) adds folders the same way.
    writeFileSync(join(cfg, 'all.yaml'), pluginDoc('file://../outside/p.wasm'));
    assert.deepEqual(codes(loadConfig([cfg], { pluginDirs: [outside] }).errors), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('validate masks a URL password in its report, as text and as JSON', async () => {
  const { run } = await import('../../src/cli/commands/validate.js');
  const { captureIo } = await import('./helpers.js');
  const dir = mkdtempSync(join(tmpdir(), 'wg-issue9-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), pluginDoc('http://alice:pw-S3CRET@ho st/x.wasm'));
    for (const args of [['--config', dir], ['--config', dir, '--json']]) {
      const io = captureIo(dir);
      assert.equal(await run(args, io), 2);
      const text = [...io.stdout, ...io.stderr].join('\n');
      assert.match(text, /alice:\*\*\*@ho st/);
      assert.ok(!text.includes('pw-S3CRET'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
