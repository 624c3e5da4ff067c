/**
 * `wasmgate manifest` against a real registry (Debian's docker-registry): after `wasmgate oci push`,
 * the manifest names the image and pins sha256 to the image manifest digest (what Istio and Higress
 * compare it with for oci:// urls), keeps the author's phase, priority, failStrategy and
 * defaultConfig, and `--offline` computes the same digest from the local build.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/gateway.js';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { initProject, tempDir } from '../helpers/author.js';

const reg = findRegistry();

describe('wasmgate manifest', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry(reg.bin!);
  });
  after(() => registry?.stop());

  test('after oci push: url oci://…, sha256 = the image manifest digest, the project\'s phase, priority, failStrategy and defaultConfig', async (t) => {
    const dir = tempDir(t);
    // A Go project with a prebuilt module: no Go toolchain needed here.
    const p = await initProject(dir, 'hello', ['--lang', 'go']);
    mkdirSync(join(p, 'build'));
    copyFileSync(fixture('go/mock-response/plugin.wasm'), join(p, 'build', 'plugin.wasm'));
    const image = `${registry.host}/plugins/hello:1.0.0`;
    const push = await runCli(['oci', 'push', join(p, 'build', 'plugin.wasm'), image, '--plain-http']);
    assert.equal(push.code, 0, push.stderr);
    const digest = /^digest: sha256:([0-9a-f]{64})$/m.exec(push.stdout)![1]!;

    const r = await runCli(['manifest', p, '--image', `oci://${image}`, '--plain-http']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^# WasmPlugin for oci:\/\/.*sha256 is its image manifest digest, read from the registry/);
    const m = parse(r.stdout) as { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
    assert.equal(m.apiVersion, 'extensions.higress.io/v1alpha1');
    assert.equal(m.kind, 'WasmPlugin');
    assert.equal(m.metadata.name, 'hello');
    assert.deepEqual(Object.keys(m.spec).slice(0, 2), ['url', 'sha256']);
    assert.equal(m.spec.url, `oci://${image}`);
    assert.equal(m.spec.sha256, digest);
    assert.equal(m.spec.phase, 'UNSPECIFIED_PHASE');
    assert.equal(m.spec.priority, 100);
    assert.equal(m.spec.failStrategy, 'FAIL_CLOSE');
    assert.deepEqual(m.spec.defaultConfig, { header: 'x-hello', value: 'hello from hello' });

    // The gateway's own pull accepts that sha256 (it checks the same digest).
    const pulled = await runCli(['oci', 'pull', image, '--plain-http', '--sha256', digest, '-o', join(dir, 'pulled.wasm')]);
    assert.equal(pulled.code, 0, pulled.stderr);

    // --offline: the digest oci push gives this build, without the registry.
    const offline = await runCli(['manifest', p, '--image', `oci://${image}`, '--offline']);
    assert.equal(offline.code, 0, offline.stderr);
    assert.equal((parse(offline.stdout) as { spec: { sha256: string } }).spec.sha256, digest);

    // A build newer than the push: the manifest still names the image, with a warning.
    copyFileSync(fixture('go/kitchen-sink/plugin.wasm'), join(p, 'build', 'plugin.wasm'));
    const stale = await runCli(['manifest', p, '--image', `oci://${image}`, '--plain-http', '-o', join(dir, 'deploy.yaml')]);
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stderr, /warning: the module in oci:\/\/.* is not .*build\/plugin\.wasm \(rebuilt since the push\?\)/);
  });

  test('without wasmplugin.yaml: WG_MANIFEST_PLUGIN, exit 2; --image is required', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'bare', ['--lang', 'go']);
    rmSync(join(p, 'wasmplugin.yaml'));
    const r = await runCli(['manifest', p, '--image', `oci://${registry.host}/x:1`, '--offline']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error WG_MANIFEST_PLUGIN: cannot read .*wasmplugin\.yaml: no such file$/m);
    const usage = await runCli(['manifest', p]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /error WG_CLI_USAGE: wasmgate manifest needs --image/);
  });
});
