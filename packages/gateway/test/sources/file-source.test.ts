import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fetchPlugin } from '../../src/plugins/sources/index.js';
import { sha256Hex } from '../../src/plugins/sources/digest.js';
import { rejectsWithCode } from './support/expect-error.js';
import { labelledWasm } from './support/wasm.js';

describe('file:// and plain-path plugin source', () => {
  const wasm = labelledWasm('file');
  let dir: string;
  let abs: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-file-'));
    await mkdir(join(dir, 'plugins', 'my dir'), { recursive: true });
    abs = join(dir, 'plugins', 'my dir', 'plugin.wasm');
    await writeFile(abs, wasm);
    await writeFile(join(dir, 'plugins', 'readme.txt'), 'not wasm');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('absolute file:// URL (percent-decoded), absolute path, and relative to baseDir', async () => {
    const a = await fetchPlugin(`file://${abs.replace(/ /g, '%20')}`);
    assert.deepEqual(a.bytes, wasm);
    assert.equal(a.localPath, abs);
    assert.equal(a.sha256, sha256Hex(wasm));
    assert.equal((await fetchPlugin(abs)).localPath, abs);
    assert.equal((await fetchPlugin('plugins/my dir/plugin.wasm', { baseDir: dir })).localPath, abs);
    assert.equal((await fetchPlugin('file://plugins/my%20dir/plugin.wasm', { baseDir: dir })).localPath, abs);
    assert.equal((await fetchPlugin(`file://localhost${abs}`)).localPath, abs);
  });

  test('sha256 is checked against the file bytes', async () => {
    await fetchPlugin(abs, { sha256: sha256Hex(wasm) });
    await rejectsWithCode(fetchPlugin(abs, { sha256: 'f'.repeat(64), pluginName: 'local' }), 'WG_SOURCE_DIGEST_MISMATCH', /plugin "local"/);
  });

  test('missing file, directory, and non-Wasm file are named errors', async () => {
    await rejectsWithCode(fetchPlugin('plugins/absent.wasm', { baseDir: dir, pluginName: 'x' }), 'WG_SOURCE_FILE', /plugin "x" \(plugins\/absent\.wasm\): cannot read .*absent\.wasm: no such file/);
    await rejectsWithCode(fetchPlugin(join(dir, 'plugins')), 'WG_SOURCE_FILE', /is a directory/);
    await rejectsWithCode(fetchPlugin(join(dir, 'plugins', 'readme.txt')), 'WG_SOURCE_NOT_WASM', /not a WebAssembly module \(8 bytes, text\)/);
  });

  test('unknown schemes and empty URLs are WG_SOURCE_BAD_URL', async () => {
    await rejectsWithCode(fetchPlugin('ftp://host/plugin.wasm', { pluginName: 'f' }), 'WG_SOURCE_BAD_URL', /unsupported scheme "ftp:\/\/"/);
    await rejectsWithCode(fetchPlugin('  '), 'WG_SOURCE_BAD_URL', /empty/);
    await rejectsWithCode(fetchPlugin('file://'), 'WG_SOURCE_BAD_URL', /names no path/);
    await rejectsWithCode(fetchPlugin('oci://Registry.io/UPPER/case:1'), 'WG_SOURCE_BAD_URL', /repository/);
  });
});
