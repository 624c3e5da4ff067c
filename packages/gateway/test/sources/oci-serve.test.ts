// Round trip: push a real plugin to a real registry, point a WasmPlugin at it with oci:// (and the
// manifest digest as sha256), serve, and get the plugin's answer over HTTP.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { pushPlugin } from '../../src/plugins/sources/index.js';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';

const reg = findRegistry();
const MOCK = fileURLToPath(new URL('../../../../../fixtures/go/mock-response/plugin.wasm', import.meta.url));

function manifests(url: string, sha256: string, registryHost: string): string {
  return `
apiVersion: wasmgate.io/v1alpha1
kind: Gateway
metadata: { name: gw }
spec:
  insecureRegistries: ["${registryHost}"]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: all, namespace: default }
spec:
  defaultBackend: { service: { name: backend, port: { number: 80 } } }
---
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: { name: backend, namespace: default }
spec: { endpoints: ["127.0.0.1:9"] }
---
apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: { name: mock, namespace: default }
spec:
  url: ${url}
  sha256: ${sha256}
  defaultConfig: { content: "hello from the registry" }
`;
}

describe('oci push → serve', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  let dir: string;
  let gw: Gateway | undefined;

  before(async () => {
    registry = await startRegistry(reg.bin ?? '');
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-oci-serve-'));
  });
  after(async () => {
    await gw?.close();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a WasmPlugin with an oci:// url is pulled, digest-checked and served', async () => {
    const ref = `${registry.host}/plugins/mock-response:1.0.0`;
    const pushed = await pushPlugin(await readFile(MOCK), `oci://${ref}`, { insecure: true });
    await writeFile(join(dir, 'gateway.yaml'), manifests(`oci://${ref}`, pushed.digest.slice('sha256:'.length), registry.host));
    gw = await Gateway.start({
      configPaths: [dir], logger: createLogger(() => {}), watch: false, cacheDir: join(dir, 'cache'),
      overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: 1 },
    });
    const res = await fetch(`http://127.0.0.1:${gw.address.port}/anything`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from the registry');
    const dump = (await (await fetch(`http://127.0.0.1:${gw.adminAddress.port}/config_dump`)).json()) as { plugins: { digest?: string; url: string }[] };
    assert.equal(dump.plugins[0]?.digest, pushed.digest);
    assert.equal(dump.plugins[0]?.url, `oci://${ref}`);
  });

  test('a wrong sha256 refuses to start, naming the plugin and the URL', async () => {
    const ref = `${registry.host}/plugins/mock-response:1.0.0`;
    const other = join(dir, 'wrong');
    await rm(other, { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(other);
    await writeFile(join(other, 'gateway.yaml'), manifests(`oci://${ref}`, 'a'.repeat(64), registry.host));
    await assert.rejects(
      Gateway.start({ configPaths: [other], logger: createLogger(() => {}), watch: false, cacheDir: join(other, 'cache'), overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: 1 } }),
      (e: Error & { code?: string }) => e.code === 'WG_SOURCE_DIGEST_MISMATCH' && e.message.includes('default/mock') && e.message.includes(ref),
    );
  });
});
