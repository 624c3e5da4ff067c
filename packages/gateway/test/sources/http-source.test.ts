import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetchPlugin } from '../../src/plugins/sources/index.js';
import { sha256Hex } from '../../src/plugins/sources/digest.js';
import { freePort } from '../helpers/daemon.js';
import { rejectsWithCode } from './support/expect-error.js';
import { serve, type TestServer } from './support/http-server.js';
import { labelledWasm } from './support/wasm.js';

describe('http(s):// plugin source', () => {
  const wasm = labelledWasm('http-source');
  let server: TestServer;
  let hits = 0;
  let seenAuth: string | undefined;

  before(async () => {
    server = await serve((req, res) => {
      hits++;
      switch (req.url) {
        case '/plugins/demo/1.0.0/plugin.wasm':
          res.writeHead(200, { 'content-type': 'application/wasm' }).end(wasm);
          return;
        case '/moved':
          res.writeHead(302, { location: '/plugins/demo/1.0.0/plugin.wasm' }).end();
          return;
        case '/page':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>login</title>');
          return;
        case '/private':
          seenAuth = req.headers.authorization;
          res.writeHead(200).end(wasm);
          return;
        case '/hang':
          return; // never answers: exercises the timeout
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such plugin');
      }
    });
  });
  after(async () => { await server?.close(); });

  test('downloads the module, every time (no cache for URLs)', async () => {
    const url = `${server.origin}/plugins/demo/1.0.0/plugin.wasm`;
    const before = hits;
    const a = await fetchPlugin(url);
    const b = await fetchPlugin(url);
    assert.deepEqual(a.bytes, wasm);
    assert.equal(a.sha256, sha256Hex(wasm));
    assert.equal(b.fromCache, false);
    assert.equal(hits - before, 2);
  });

  test('sha256 of the bytes: match passes, mismatch is WG_SOURCE_DIGEST_MISMATCH', async () => {
    const url = `${server.origin}/plugins/demo/1.0.0/plugin.wasm`;
    await fetchPlugin(url, { sha256: sha256Hex(wasm) });
    await fetchPlugin(url, { sha256: `sha256:${sha256Hex(wasm).toUpperCase()}` });
    const err = await rejectsWithCode(fetchPlugin(url, { pluginName: 'demo', sha256: '0'.repeat(64) }), 'WG_SOURCE_DIGEST_MISMATCH', /plugin "demo" \(http:\/\/127\.0\.0\.1:\d+\/plugins\/demo\/1\.0\.0\/plugin\.wasm\)/);
    assert.ok(err.details.some((d) => d.includes(sha256Hex(wasm))));
    await rejectsWithCode(fetchPlugin(url, { sha256: 'abc' }), 'WG_SOURCE_BAD_SHA256');
  });

  test('redirects are followed', async () => {
    assert.deepEqual((await fetchPlugin(`${server.origin}/moved`)).bytes, wasm);
  });

  test('HTTP errors and non-Wasm bodies are named', async () => {
    const err = await rejectsWithCode(fetchPlugin(`${server.origin}/missing.wasm`, { pluginName: 'gone' }), 'WG_SOURCE_HTTP_STATUS', /plugin "gone".*HTTP 404/);
    assert.match(err.hint ?? '', /no file at this URL/);
    // The kind of the body, never the body (issue 9: errors are shown on the admin API).
    await rejectsWithCode(fetchPlugin(`${server.origin}/page`), 'WG_SOURCE_NOT_WASM', /not a WebAssembly module \(\d+ bytes, an HTML page\)$/);
  });

  test('credentials in the URL are sent as Basic auth and never printed', async () => {
    await fetchPlugin(`http://bob:pa%3Ass@${server.host}/private`);
    assert.equal(seenAuth, `Basic ${Buffer.from('bob:pa:ss').toString('base64')}`);
    const err = await rejectsWithCode(fetchPlugin(`http://bob:hunter2@${server.host}/nothing`), 'WG_SOURCE_HTTP_STATUS');
    assert.doesNotMatch(err.message, /hunter2/);
    assert.match(err.message, /bob:\*\*\*@/);
  });

  test('unreachable host → WG_SOURCE_UNREACHABLE; slow server → WG_SOURCE_TIMEOUT', async () => {
    const port = await freePort(); // nothing listens there
    await rejectsWithCode(fetchPlugin(`http://127.0.0.1:${port}/plugin.wasm`, { pluginName: 'p' }), 'WG_SOURCE_UNREACHABLE', /plugin "p".*ECONNREFUSED/);
    await rejectsWithCode(fetchPlugin(`https://${server.host}/plugins/demo/1.0.0/plugin.wasm`), 'WG_SOURCE_UNREACHABLE', /plain HTTP, not HTTPS/);
    await rejectsWithCode(fetchPlugin(`${server.origin}/hang`, { timeoutMs: 300 }), 'WG_SOURCE_TIMEOUT', /timed out after 300 ms/);
  });

  test('a caller abort is passed through as is', async () => {
    const ac = new AbortController();
    const reason = new Error('shutting down');
    const p = fetchPlugin(`${server.origin}/hang`, { signal: ac.signal });
    ac.abort(reason);
    await assert.rejects(p, (e) => e === reason);
  });
});
