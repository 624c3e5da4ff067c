import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { fetchPlugin, pushPlugin, MEDIA_TYPES } from '../../src/plugins/sources/index.js';
import { sha256Hex } from '../../src/plugins/sources/digest.js';
import { readTar } from '../../src/plugins/sources/tar-reader.js';
import { rejectsWithCode } from './support/expect-error.js';
import { pushClient } from './support/images.js';
import { labelledWasm, pluginWasm } from './support/wasm.js';

const reg = findRegistry();

describe('oci push → pull against a real registry', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  let cacheDir: string;
  const wasm = pluginWasm();
  const opts = () => ({ insecureRegistries: [registry.host], cacheDir, pluginName: 'headers-bench' });

  before(async () => {
    registry = await startRegistry(reg.bin ?? '');
    cacheDir = await mkdtemp(join(tmpdir(), 'wasmgate-cache-'));
  });
  after(async () => {
    await registry?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('push writes the Higress layout and pull by tag returns the same bytes', async () => {
    const pushed = await pushPlugin(wasm, `oci://${registry.host}/plugins/headers-bench:1.0.0`, {
      insecure: true, readme: '# headers-bench\n', spec: 'name: headers-bench\n',
    });
    assert.match(pushed.digest, /^sha256:[a-f0-9]{64}$/);
    assert.equal(pushed.ref, `${registry.host}/plugins/headers-bench:1.0.0`);

    const manifest = await pushClient(`${registry.host}/plugins/headers-bench:1.0.0`).getManifest('1.0.0');
    assert.equal(manifest.digest, pushed.digest);
    const json = JSON.parse(new TextDecoder().decode(manifest.bytes)) as { mediaType: string; config: { mediaType: string }; layers: { mediaType: string; annotations: Record<string, string> }[] };
    assert.equal(json.mediaType, MEDIA_TYPES.ociManifest);
    assert.equal(json.config.mediaType, MEDIA_TYPES.unknownConfig);
    assert.deepEqual(json.layers.map((l) => [l.mediaType, l.annotations['org.opencontainers.image.title']]), [
      [MEDIA_TYPES.readme, 'README.md'],
      [MEDIA_TYPES.spec, 'spec.yaml'],
      [MEDIA_TYPES.ociLayerTarGzip, 'plugin.tar.gz'],
    ]);

    const got = await fetchPlugin(`oci://${registry.host}/plugins/headers-bench:1.0.0`, opts());
    assert.deepEqual(got.bytes, wasm);
    assert.equal(got.sha256, sha256Hex(wasm));
    assert.equal(got.digest, pushed.digest);
    assert.equal(got.fromCache, false);
  });

  test('the plugin layer is a deterministic tar with plugin.wasm, so pushing twice gives one digest', async () => {
    const ref = `${registry.host}/plugins/determinism:1`;
    const a = await pushPlugin(wasm, ref, { insecure: true });
    const b = await pushPlugin(wasm, ref, { insecure: true }); // blobs exist now: HEAD skips them
    assert.equal(a.digest, b.digest);
    const client = pushClient(ref);
    const m = JSON.parse(new TextDecoder().decode((await client.getManifest('1')).bytes)) as { layers: { mediaType: string; digest: string; size: number }[] };
    const layer = m.layers.at(-1);
    assert.ok(layer);
    const entries = readTar(gunzipSync(await client.getBlob(layer)));
    assert.deepEqual(entries.map((e) => e.name), ['plugin.wasm']);
  });

  test('pull by digest, and sha256 (the manifest digest) match and mismatch', async () => {
    const { digest } = await pushPlugin(wasm, `${registry.host}/plugins/pinned:2.0.0`, { insecure: true });
    const byDigest = await fetchPlugin(`oci://${registry.host}/plugins/pinned@${digest}`, { ...opts(), cacheDir: false });
    assert.deepEqual(byDigest.bytes, wasm);
    assert.equal(byDigest.digest, digest);

    const ok = await fetchPlugin(`oci://${registry.host}/plugins/pinned:2.0.0`, { ...opts(), cacheDir: false, sha256: digest.slice('sha256:'.length) });
    assert.equal(ok.digest, digest);

    const wrong = 'ab'.repeat(32);
    const err = await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/pinned:2.0.0`, { ...opts(), cacheDir: false, sha256: wrong }), 'WG_SOURCE_DIGEST_MISMATCH', /headers-bench/);
    assert.match(err.message, new RegExp(digest));
    // sha256 is the manifest digest, not the wasm's: giving the module's hash is a mismatch too.
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/pinned:2.0.0`, { ...opts(), cacheDir: false, sha256: sha256Hex(wasm) }), 'WG_SOURCE_DIGEST_MISMATCH');
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/pinned@sha256:${wrong}`, { ...opts(), cacheDir: false }), 'WG_SOURCE_HTTP_STATUS', /404/);
  });

  test('a missing tag or repository is a clear 404', async () => {
    const err = await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/headers-bench:9.9.9`, opts()), 'WG_SOURCE_HTTP_STATUS', /404.*MANIFEST_UNKNOWN/);
    assert.match(err.message, /plugin "headers-bench" \(oci:\/\/127\.0\.0\.1:\d+\/plugins\/headers-bench:9\.9\.9\)/);
    assert.match(err.hint ?? '', /wasmgate oci push/);
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/nope/nothing:1`, opts()), 'WG_SOURCE_HTTP_STATUS', /404/);
  });

  test('HTTPS to a plain-HTTP registry says how to allow it', async () => {
    const err = await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/headers-bench:1.0.0`, { cacheDir: false }), 'WG_SOURCE_INSECURE');
    assert.match(err.hint ?? '', /insecureRegistries.*--plain-http/);
  });

  test('pushing something that is not Wasm is refused before any upload', async () => {
    await rejectsWithCode(pushPlugin(new TextEncoder().encode('hello'), `${registry.host}/plugins/x:1`, { insecure: true }), 'WG_SOURCE_NOT_WASM');
  });
});

describe('pull policy and the cache', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  let cacheDir: string;
  before(async () => {
    registry = await startRegistry(reg.bin ?? '');
    cacheDir = await mkdtemp(join(tmpdir(), 'wasmgate-cache-'));
  });
  after(async () => {
    await registry?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('IfNotPresent answers from the cache without the registry; Always refetches', async () => {
    const v1 = labelledWasm('v1');
    const v2 = labelledWasm('v2');
    const url = `oci://${registry.host}/plugins/cached:1.0.0`;
    const latest = `oci://${registry.host}/plugins/cached:latest`;
    const opts = { insecureRegistries: [registry.host], cacheDir };
    const first = await pushPlugin(v1, url, { insecure: true });
    await pushPlugin(v1, latest, { insecure: true });

    const a = await fetchPlugin(url, opts);
    assert.equal(a.fromCache, false);
    const b = await fetchPlugin(url, opts); // default policy for a version tag: IfNotPresent
    assert.equal(b.fromCache, true);
    assert.deepEqual(b.bytes, v1);

    // The tag moves: IfNotPresent keeps the cached module, Always sees the new one.
    const second = await pushPlugin(v2, url, { insecure: true });
    assert.notEqual(first.digest, second.digest);
    const stale = await fetchPlugin(url, { ...opts, imagePullPolicy: 'IfNotPresent' });
    assert.deepEqual(stale.bytes, v1);
    const fresh = await fetchPlugin(url, { ...opts, imagePullPolicy: 'Always' });
    assert.deepEqual(fresh.bytes, v2);
    assert.equal(fresh.fromCache, false);
    assert.equal(fresh.digest, second.digest);
    const again = await fetchPlugin(url, { ...opts, imagePullPolicy: 'Always' });
    assert.equal(again.fromCache, true, 'unchanged digest: module served from disk after the manifest check');

    // :latest with no policy behaves as Always.
    await fetchPlugin(latest, opts);
    await pushPlugin(v2, latest, { insecure: true });
    assert.deepEqual((await fetchPlugin(latest, opts)).bytes, v2);

    // With the registry gone, IfNotPresent still works (tag index, or a pinned sha256) and Always cannot.
    await registry.stop();
    const offline = await fetchPlugin(url, opts);
    assert.equal(offline.fromCache, true);
    assert.deepEqual(offline.bytes, v2);
    const pinned = await fetchPlugin(`oci://${registry.host}/plugins/cached:1.0.0`, { ...opts, sha256: first.digest });
    assert.deepEqual(pinned.bytes, v1);
    await rejectsWithCode(fetchPlugin(url, { ...opts, imagePullPolicy: 'Always' }), 'WG_SOURCE_UNREACHABLE', /ECONNREFUSED/);
  });
});
