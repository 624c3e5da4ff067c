// examples/as/body-rewrite: chunk-by-chunk replacement, matches split across chunks included,
// content-length removed, binary (encoded) bodies untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, WasmgateError, type TestPlugin } from '@wasmgate/testing';
import { assertOnlyProxyWasmImports, buildExample, GET } from './examples-support.js';

describe('examples/as/body-rewrite', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildExample('body-rewrite'), { name: 'body-rewrite', config: { from: 'wasm-go', to: '@wasmgate/sdk' } }); });
  after(() => plugin.close());

  const run = (chunks: string[], headers: Record<string, string> = { 'content-type': 'text/plain' }) => {
    const s = plugin.stream();
    s.requestHeaders(GET('/doc'), { endStream: true });
    const body = chunks.join('');
    s.responseHeaders({ ':status': '200', 'content-length': String(Buffer.byteLength(body)), ...headers });
    chunks.forEach((c, i) => s.responseBody(c, { endStream: i === chunks.length - 1 }));
    const out = { headers: s.downstream.headers, body: s.downstream.body, chunks: s.downstream.chunks.length };
    s.end();
    return out;
  };

  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('body-rewrite'));
  });

  it('replaces every match and removes content-length', () => {
    plugin.clearLogs();
    const r = run(['written with wasm-go; wasm-go wasm-go!']);
    assert.equal(r.body, 'written with @wasmgate/sdk; @wasmgate/sdk @wasmgate/sdk!');
    assert.equal(r.headers?.get('content-length'), undefined);
    assert.equal(r.headers?.get('content-type'), 'text/plain');
    assert.deepEqual(plugin.logsAt('info').map((m) => m.replace(/^.*\] /, '')), ['body-rewrite: 3 replacement(s) in /doc']);
  });

  it('replaces a match split across chunks (held back, completed by the next chunk)', () => {
    assert.equal(run(['plugins in was', 'm-g', 'o are ', 'fine']).body, 'plugins in @wasmgate/sdk are fine');
    assert.equal(run(['wasm-', 'go']).body, '@wasmgate/sdk');
    // A partial match at the very end is sent as it is.
    assert.equal(run(['ends with wasm-', 'g']).body, 'ends with wasm-g');
    // Multi-byte UTF-8 split across chunks is not damaged (the rewrite works on bytes).
    const bytes = Buffer.from('héllo wasm-go ✓');
    const s = plugin.stream();
    s.requestHeaders(GET(), { endStream: true });
    s.responseHeaders({ ':status': '200' });
    s.responseBody(bytes.subarray(0, 2));
    s.responseBody(bytes.subarray(2, 17));
    s.responseBody(bytes.subarray(17), { endStream: true });
    assert.equal(s.downstream.body, 'héllo @wasmgate/sdk ✓');
    s.end();
  });

  it('streams: each chunk goes on as it is rewritten (no whole-body buffering)', () => {
    const s = plugin.stream();
    s.requestHeaders(GET(), { endStream: true });
    s.responseHeaders({ ':status': '200' });
    s.responseBody('first part, ');
    assert.equal(s.downstream.body, 'first ', 'all but the last 6 bytes (a possible match start) went on');
    s.responseBody('second part', { endStream: true });
    assert.equal(s.downstream.body, 'first part, second part');
    s.end();
  });

  it('leaves an encoded (gzip) body alone; content-length is still removed', () => {
    const r = run(['wasm-go'], { 'content-encoding': 'gzip' });
    assert.equal(r.body, 'wasm-go');
    assert.equal(r.headers?.get('content-length'), undefined);
  });

  it('leaves request bodies alone unless "request": true', () => {
    const s = plugin.stream();
    s.requestHeaders({ ...GET('/up'), ':method': 'POST', 'content-length': '7' });
    s.requestBody('wasm-go', { endStream: true });
    assert.equal(s.upstream.body, 'wasm-go');
    assert.equal(s.upstream.headers?.get('content-length'), '7');
    s.end();
  });

  it('with "request": true rewrites the request body as it streams too, and drops its content-length', async (t) => {
    const both = await loadPlugin(await buildExample('body-rewrite'), { name: 'body-rewrite', config: { from: 'wasm-go', to: '@wasmgate/sdk', request: true } });
    t.after(() => both.close());
    const s = both.stream();
    s.requestHeaders({ ...GET('/up'), ':method': 'POST', 'content-type': 'text/plain', 'content-length': '21' });
    s.requestBody('posted with wasm');
    assert.equal(s.upstream.body, 'posted wit', 'the first chunk went on but its last 6 bytes ("h wasm")');
    s.requestBody('-go :)', { endStream: true });
    assert.equal(s.upstream.body, 'posted with @wasmgate/sdk :)');
    assert.equal(s.upstream.headers?.get('content-length'), undefined);
    s.respond(200, { body: 'ok wasm-go' });
    assert.equal(s.downstream.body, 'ok @wasmgate/sdk');
    s.end();
    assert.deepEqual(both.logsAt('info').filter((m) => m.includes('replacement')).map((m) => m.replace(/^.*\] /, '')), [
      'body-rewrite: 1 replacement(s) in the request to /up',
      'body-rewrite: 1 replacement(s) in /up',
    ]);
  });

  it('rejects a configuration without from', async () => {
    await assert.rejects(loadPlugin(await buildExample('body-rewrite'), { name: 'body-rewrite', config: { to: 'x' } }), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.ok(e.details.some((d) => d.includes('from must be a non-empty string')), e.details.join('\n'));
      return true;
    });
  });
});
