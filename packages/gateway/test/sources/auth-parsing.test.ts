import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWwwAuthenticate } from '../../src/plugins/sources/www-authenticate.js';
import { findCredentials } from '../../src/plugins/sources/pull-secret.js';
import { isPlainHttpAllowed } from '../../src/plugins/sources/registry-client.js';

describe('WWW-Authenticate parsing', () => {
  test('a registry Bearer challenge with a comma inside the quoted scope', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:p/x:pull,push"'), [
      { scheme: 'Bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:p/x:pull,push' } },
    ]);
  });
  test('several challenges, unquoted values, escapes and odd spacing', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer  realm = https://t/x , error=invalid_token'), [
      { scheme: 'Basic', params: { realm: 'a "b"' } },
      { scheme: 'Bearer', params: { realm: 'https://t/x', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate(''), []);
  });
});

describe('pull secret (docker config JSON)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  test('auth, username/password, identitytoken; keys with scheme and path', () => {
    const config = { auths: {
      'https://reg.example:5000/v1/': { auth: b64('u:p:with:colons') },
      'other.example': { username: 'me', password: 'pw' },
      'id.example': { identitytoken: 'tok' },
      'https://index.docker.io/v1/': { auth: b64('hub:pw') },
    } };
    assert.deepEqual(findCredentials(config, 'reg.example:5000'), { username: 'u', password: 'p:with:colons', identityToken: undefined, registryToken: undefined });
    assert.equal(findCredentials(config, 'other.example')?.password, 'pw');
    assert.equal(findCredentials(config, 'id.example')?.identityToken, 'tok');
    assert.equal(findCredentials(config, 'docker.io')?.username, 'hub');
    assert.equal(findCredentials(config, 'nowhere.example'), undefined);
  });
  test('legacy .dockercfg form without "auths"', () => {
    assert.equal(findCredentials({ 'reg.example': { auth: b64('a:b') } }, 'reg.example')?.username, 'a');
  });
});

describe('plain-HTTP allow list', () => {
  test('host:port matches exactly, a bare host matches any port', () => {
    assert.equal(isPlainHttpAllowed('127.0.0.1:5000', ['127.0.0.1:5000']), true);
    assert.equal(isPlainHttpAllowed('127.0.0.1:5001', ['127.0.0.1:5000']), false);
    assert.equal(isPlainHttpAllowed('reg.local:80', ['reg.local']), true);
    assert.equal(isPlainHttpAllowed('reg.local', ['http://REG.local/']), true);
    assert.equal(isPlainHttpAllowed('localhost:5000', []), false);
  });
});
