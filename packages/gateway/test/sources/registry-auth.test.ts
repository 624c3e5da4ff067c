import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { fetchPlugin, pushPlugin } from '../../src/plugins/sources/index.js';
import { rejectsWithCode } from './support/expect-error.js';
import { startTokenServer, type TokenServer } from './support/token-server.js';
import { pluginWasm } from './support/wasm.js';

const reg = findRegistry();

describe('registry token auth (Bearer realm)', { skip: reg.skip ?? false }, () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let dir: string;
  const wasm = pluginWasm();
  const secret = async (name: string, auths: Record<string, unknown>) => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify({ auths }));
    return file;
  };

  before(async () => {
    tokens = await startTokenServer({ users: { alice: 's3cret' }, refreshTokens: { 'refresh-abc': 'alice' } });
    registry = await startRegistry(reg.bin ?? '', { auth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertPem: tokens.cert.pem } });
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-auth-'));
  });
  after(async () => {
    await registry?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('push with credentials from a docker config; anonymous pull gets a pull-only token', async () => {
    const basicAuth = Buffer.from('alice:s3cret').toString('base64');
    const file = await secret('push.json', { [registry.host]: { auth: basicAuth } });
    const { digest } = await pushPlugin(wasm, `${registry.host}/plugins/private:1.0.0`, { insecure: true, pullSecretFile: file });
    // The registry builds its challenge's action list from a Go map: "pull,push" or "push,pull".
    const pushScope = (scope: string) => /^repository:plugins\/private:(pull,push|push,pull)$/.test(scope);
    assert.ok(tokens.requests.some((r) => r.user === 'alice' && r.scopes.some(pushScope)), JSON.stringify(tokens.requests));

    const before = tokens.requests.length;
    const got = await fetchPlugin(`oci://${registry.host}/plugins/private:1.0.0`, { insecureRegistries: [registry.host], cacheDir: false });
    assert.deepEqual(got.bytes, wasm);
    assert.equal(got.digest, digest);
    const asked = tokens.requests.slice(before);
    assert.deepEqual(asked.map((r) => [r.user, r.scopes.join(' ')]), [['anonymous', 'repository:plugins/private:pull']], 'one token for the whole pull');
  });

  test('pull with username/password and with an identity token', async () => {
    await pushPlugin(wasm, `${registry.host}/plugins/creds:1`, { insecure: true, pullSecretFile: await secret('a.json', { [`https://${registry.host}`]: { auth: Buffer.from('alice:s3cret').toString('base64') } }) });
    const plain = await secret('plain.json', { [registry.host]: { username: 'alice', password: 's3cret' } });
    const a = await fetchPlugin(`oci://${registry.host}/plugins/creds:1`, { insecureRegistries: [registry.host], cacheDir: false, pullSecretFile: plain });
    assert.deepEqual(a.bytes, wasm);
    const idtoken = await secret('id.json', { [registry.host]: { identitytoken: 'refresh-abc' } });
    const b = await fetchPlugin(`oci://${registry.host}/plugins/creds:1`, { insecureRegistries: [registry.host], cacheDir: false, pullSecretFile: idtoken });
    assert.deepEqual(b.bytes, wasm);
    assert.ok(tokens.requests.some((r) => r.method === 'POST' && r.user === 'alice'));
  });

  test('wrong credentials give WG_SOURCE_AUTH naming the plugin and the token service', async () => {
    const wrong = await secret('wrong.json', { [registry.host]: { auth: Buffer.from('alice:nope').toString('base64') } });
    const err = await rejectsWithCode(
      fetchPlugin(`oci://${registry.host}/plugins/private:1.0.0`, { pluginName: 'private-plugin', insecureRegistries: [registry.host], cacheDir: false, pullSecretFile: wrong }),
      'WG_SOURCE_AUTH', /plugin "private-plugin".*refused access with the configured credentials \(HTTP 401\)/,
    );
    assert.match(err.hint ?? '', /user name and password/);
  });

  test('anonymous push is refused with WG_SOURCE_AUTH', async () => {
    await rejectsWithCode(pushPlugin(wasm, `${registry.host}/plugins/anon:1`, { insecure: true }), 'WG_SOURCE_AUTH', /rejected the anonymous token/);
  });

  test('a missing pull secret file is WG_SOURCE_FILE', async () => {
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/private:1.0.0`, { insecureRegistries: [registry.host], cacheDir: false, pullSecretFile: join(dir, 'absent.json') }), 'WG_SOURCE_FILE', /pull secret/);
  });

  test('a 404 behind auth is still a clear 404', async () => {
    await rejectsWithCode(fetchPlugin(`oci://${registry.host}/plugins/private:0.0.0`, { insecureRegistries: [registry.host], cacheDir: false }), 'WG_SOURCE_HTTP_STATUS', /404/);
  });

  test('a plain-HTTP token realm is refused for an HTTPS registry unless listed', async () => {
    // Unit-level: the realm check happens before any token request, so a fake challenge suffices.
    const { RegistryAuthenticator } = await import('../../src/plugins/sources/registry-auth.js');
    const auth = new RegistryAuthenticator({
      registry: 'registry.example:443',
      net: { signal: AbortSignal.timeout(5000), ctx: { url: 'oci://registry.example/x:1' } },
      plainHttpAllowed: () => false,
    });
    await rejectsWithCode(auth.answer(`Bearer realm="${tokens.realm}",service="s"`, 'repository:x:pull'), 'WG_SOURCE_INSECURE', /plain HTTP/);
  });
});
