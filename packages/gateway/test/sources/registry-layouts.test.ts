import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { fetchPlugin, MEDIA_TYPES } from '../../src/plugins/sources/index.js';
import { rejectsWithCode } from './support/expect-error.js';
import { manifestDescriptor, pushImage, pushIndex, tarGz } from './support/images.js';
import { labelledWasm } from './support/wasm.js';

const reg = findRegistry();
const M = MEDIA_TYPES;
const text = (s: string) => new TextEncoder().encode(s);

describe('image layouts (Istio fetcher rules)', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  const wasm = labelledWasm('layouts');
  const pull = (path: string) => fetchPlugin(`oci://${registry.host}/${path}`, { pluginName: 'layouts', insecureRegistries: [registry.host], cacheDir: false });

  before(async () => { registry = await startRegistry(reg.bin ?? ''); });
  after(async () => { await registry?.stop(); });

  test('Docker v2 manifest: last layer rootfs.diff.tar.gzip with plugin.wasm in a folder', async () => {
    await pushImage(`${registry.host}/docker/plugin:1`, {
      manifestType: M.dockerManifest,
      configType: 'application/vnd.docker.container.image.v1+json',
      layers: [
        { mediaType: M.dockerLayer, bytes: tarGz([{ name: 'etc/other', data: text('x') }]) },
        { mediaType: M.dockerLayer, bytes: tarGz([{ name: 'README', data: text('hi') }, { name: './plugin.wasm', data: wasm }]) },
      ],
    });
    assert.deepEqual((await pull('docker/plugin:1')).bytes, wasm);
  });

  test('Docker v2 manifest whose last layer has another media type is rejected', async () => {
    await pushImage(`${registry.host}/docker/wrong:1`, {
      manifestType: M.dockerManifest,
      configType: 'application/vnd.docker.container.image.v1+json',
      layers: [{ mediaType: M.ociLayerTarGzip, bytes: tarGz([{ name: 'plugin.wasm', data: wasm }]) }],
    });
    await rejectsWithCode(pull('docker/wrong:1'), 'WG_SOURCE_MANIFEST', /last layer of a Docker image/);
  });

  test('two-layer variant with the raw module (application/vnd.module.wasm.content.layer.v1+wasm)', async () => {
    await pushImage(`${registry.host}/raw/plugin:1`, {
      manifestType: M.ociManifest,
      configType: 'application/vnd.module.wasm.config.v1+json',
      layers: [
        { mediaType: M.wasmLayer, bytes: wasm },
        { mediaType: 'application/vnd.module.wasm.runtime.config.v1+json', bytes: text('{}') },
      ],
    });
    assert.deepEqual((await pull('raw/plugin:1')).bytes, wasm);
  });

  test('a raw layer that is not Wasm is rejected with WG_SOURCE_NOT_WASM', async () => {
    await pushImage(`${registry.host}/raw/notwasm:1`, {
      manifestType: M.ociManifest,
      configType: M.unknownConfig,
      layers: [{ mediaType: M.wasmLayer, bytes: text('<html>not a module</html>') }, { mediaType: M.readme, bytes: text('# x') }],
    });
    await rejectsWithCode(pull('raw/notwasm:1'), 'WG_SOURCE_NOT_WASM', /plugin "layouts".*not a WebAssembly module \(25 bytes, an HTML page\)$/);
  });

  test('plugin.wasm that is not Wasm inside the tarball is rejected', async () => {
    await pushImage(`${registry.host}/tar/notwasm:1`, {
      manifestType: M.ociManifest,
      configType: M.unknownConfig,
      layers: [{ mediaType: M.ociLayerTarGzip, bytes: tarGz([{ name: 'plugin.wasm', data: text('#!/bin/sh\necho hi\n') }]) }],
    });
    await rejectsWithCode(pull('tar/notwasm:1'), 'WG_SOURCE_NOT_WASM');
  });

  test('an image without plugin.wasm is rejected and lists what it has', async () => {
    await pushImage(`${registry.host}/tar/empty:1`, {
      manifestType: M.ociManifest,
      configType: M.unknownConfig,
      layers: [{ mediaType: M.ociLayerTarGzip, bytes: tarGz([{ name: 'main.wasm', data: wasm }]) }],
    });
    const err = await rejectsWithCode(pull('tar/empty:1'), 'WG_SOURCE_NO_PLUGIN_WASM');
    assert.match(err.details.join('\n'), /main\.wasm/);
  });

  test('a layer that is not gzip is WG_SOURCE_ARCHIVE; an unknown layout is WG_SOURCE_MANIFEST', async () => {
    await pushImage(`${registry.host}/tar/corrupt:1`, {
      manifestType: M.ociManifest,
      configType: M.unknownConfig,
      layers: [{ mediaType: M.ociLayerTarGzip, bytes: wasm }],
    });
    await rejectsWithCode(pull('tar/corrupt:1'), 'WG_SOURCE_ARCHIVE', /gzip/);
    await pushImage(`${registry.host}/odd/layout:1`, {
      manifestType: M.ociManifest,
      configType: M.unknownConfig,
      layers: [{ mediaType: M.readme, bytes: text('# a') }, { mediaType: M.spec, bytes: text('a: 1') }, { mediaType: M.wasmLayer, bytes: wasm }],
    });
    await rejectsWithCode(pull('odd/layout:1'), 'WG_SOURCE_MANIFEST', /no layer to take the plugin from/);
  });

  test('an index resolves to its wasm (or linux/amd64) image; sha256 is the index digest', async () => {
    const ref = `${registry.host}/multi/plugin`;
    const other = labelledWasm('arm64');
    const armDigest = await pushImage(`${ref}:arm`, { manifestType: M.ociManifest, configType: M.unknownConfig, layers: [{ mediaType: M.ociLayerTarGzip, bytes: tarGz([{ name: 'plugin.wasm', data: other }]) }] });
    const amdDigest = await pushImage(`${ref}:amd`, { manifestType: M.ociManifest, configType: M.unknownConfig, layers: [{ mediaType: M.ociLayerTarGzip, bytes: tarGz([{ name: 'plugin.wasm', data: wasm }]) }] });
    const indexDigest = await pushIndex(`${ref}:multi`, [
      await manifestDescriptor(ref, armDigest, { os: 'linux', architecture: 'arm64' }),
      await manifestDescriptor(ref, amdDigest, { os: 'linux', architecture: 'amd64' }),
    ]);
    const got = await fetchPlugin(`oci://${ref}:multi`, { insecureRegistries: [registry.host], cacheDir: false, sha256: indexDigest });
    assert.deepEqual(got.bytes, wasm);
    assert.equal(got.digest, indexDigest);
  });

  test('a blob whose stored bytes were altered fails its digest check', async () => {
    const ref = `${registry.host}/tampered/plugin:1`;
    const layer = tarGz([{ name: 'plugin.wasm', data: labelledWasm('tamper-me') }]);
    await pushImage(ref, { manifestType: M.ociManifest, configType: M.unknownConfig, layers: [{ mediaType: M.ociLayerTarGzip, bytes: layer }] });
    const { createHash } = await import('node:crypto');
    const hex = createHash('sha256').update(layer).digest('hex');
    const blobDir = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex);
    assert.deepEqual(await readdir(blobDir), ['data']);
    const altered = Uint8Array.from(layer);
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 0xff;
    await writeFile(join(blobDir, 'data'), altered);
    await rejectsWithCode(pull('tampered/plugin:1'), 'WG_SOURCE_DIGEST_MISMATCH', /arrived corrupted/);
  });
});
