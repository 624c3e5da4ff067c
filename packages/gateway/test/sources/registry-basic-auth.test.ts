// A registry that wants Basic auth and redirects blob downloads to another origin (as registries
// backed by object storage do). Served by a small node:http fake: Debian's registry needs bcrypt
// htpasswd files for Basic auth, which Node cannot make without a dependency.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildPluginImage, fetchPlugin } from '../../src/plugins/sources/index.js';
import { rejectsWithCode } from './support/expect-error.js';
import { serve, type TestServer } from './support/http-server.js';
import { labelledWasm } from './support/wasm.js';

describe('Basic-auth registry with redirected blobs', () => {
  const wasm = labelledWasm('basic');
  const image = buildPluginImage(wasm);
  const good = `Basic ${Buffer.from('carol:pw').toString('base64')}`;
  let storage: TestServer;
  let registry: TestServer;
  let dir: string;
  const storageAuth: (string | undefined)[] = [];

  before(async () => {
    storage = await serve((req, res) => {
      storageAuth.push(req.headers.authorization);
      const blob = image.blobs.find((b) => req.url === `/store/${b.digest}`);
      if (blob) res.writeHead(200).end(blob.bytes);
      else res.writeHead(404).end();
    });
    registry = await serve((req, res) => {
      if (req.headers.authorization !== good) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake registry"', 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (req.url === '/v2/team/basic/manifests/1.0') {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(image.manifest);
        return;
      }
      const m = /^\/v2\/team\/basic\/blobs\/(sha256:[a-f0-9]+)$/.exec(req.url ?? '');
      if (m) {
        res.writeHead(307, { location: `${storage.origin}/store/${m[1]}` }).end();
        return;
      }
      res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    });
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-basic-'));
  });
  after(async () => {
    await registry?.close();
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('answers the Basic challenge, follows the redirect, and keeps credentials off the other origin', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('carol:pw').toString('base64') } } }));
    const got = await fetchPlugin(`oci://${registry.host}/team/basic:1.0`, { insecureRegistries: ['127.0.0.1'], cacheDir: false, pullSecretFile: file });
    assert.deepEqual(got.bytes, wasm);
    assert.equal(got.digest, image.manifestDigest);
    assert.ok(storageAuth.length > 0 && storageAuth.every((a) => a === undefined), 'Authorization must not follow a cross-origin redirect');
  });

  test('without credentials the Basic challenge is WG_SOURCE_AUTH', async () => {
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/team/basic:1.0`, { insecureRegistries: [registry.host], cacheDir: false }), 'WG_SOURCE_AUTH', /requires a user name and password/);
  });

  test('wrong Basic credentials are WG_SOURCE_AUTH', async () => {
    const file = join(dir, 'wrong.json');
    await writeFile(file, JSON.stringify({ auths: { [registry.host]: { username: 'carol', password: 'nope' } } }));
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/team/basic:1.0`, { insecureRegistries: [registry.host], cacheDir: false, pullSecretFile: file }), 'WG_SOURCE_AUTH', /rejected the credentials/);
  });
});
