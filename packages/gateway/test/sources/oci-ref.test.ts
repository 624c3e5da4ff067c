import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WasmgateError } from '@wasmgate/host';
import { effectivePullPolicy, formatOciRef, parseOciRef } from '../../src/plugins/sources/index.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseOciRef', () => {
  test('registry with port, nested repository, tag and digest', () => {
    assert.deepEqual(parseOciRef('oci://127.0.0.1:5000/plugins/basic-auth:1.0.0'), { registry: '127.0.0.1:5000', repository: 'plugins/basic-auth', tag: '1.0.0', digest: undefined });
    assert.deepEqual(parseOciRef(`higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/key-auth@${D}`), { registry: 'higress-registry.cn-hangzhou.cr.aliyuncs.com', repository: 'plugins/key-auth', tag: undefined, digest: D });
    assert.deepEqual(parseOciRef(`localhost/a/b/c:v2@${D}`), { registry: 'localhost', repository: 'a/b/c', tag: 'v2', digest: D });
  });

  test('Docker Hub names', () => {
    assert.deepEqual(parseOciRef('oci://busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: undefined, digest: undefined });
    assert.deepEqual(parseOciRef('org/plugin:1'), { registry: 'docker.io', repository: 'org/plugin', tag: '1', digest: undefined });
  });

  test('round trip through formatOciRef', () => {
    for (const r of ['reg.io:443/x/y:1', `reg.io/x@${D}`, 'localhost:5000/p']) assert.equal(formatOciRef(parseOciRef(r)), r);
  });

  test('malformed references are WG_SOURCE_BAD_URL naming the plugin', () => {
    for (const bad of ['oci://reg.io/UP/x', 'oci://reg.io/x:bad tag', 'oci://reg.io/x@sha256:short', 'oci://', 'https://reg.io/x', 'oci://reg.io/x/:1']) {
      assert.throws(() => parseOciRef(bad, 'p'), (e) => e instanceof WasmgateError && e.code === 'WG_SOURCE_BAD_URL' && e.message.startsWith('plugin "p"'), bad);
    }
  });
});

describe('effectivePullPolicy (Istio semantics)', () => {
  test('unspecified: Always for latest or no tag, IfNotPresent otherwise; explicit wins', () => {
    assert.equal(effectivePullPolicy(parseOciRef('r.io/p:latest'), undefined), 'Always');
    assert.equal(effectivePullPolicy(parseOciRef('r.io/p'), 'UNSPECIFIED_POLICY'), 'Always');
    assert.equal(effectivePullPolicy(parseOciRef('r.io/p:1.0'), undefined), 'IfNotPresent');
    assert.equal(effectivePullPolicy(parseOciRef(`r.io/p@${D}`), undefined), 'IfNotPresent');
    assert.equal(effectivePullPolicy(parseOciRef('r.io/p:latest'), 'IfNotPresent'), 'IfNotPresent');
    assert.equal(effectivePullPolicy(parseOciRef('r.io/p:1.0'), 'Always'), 'Always');
  });
});
