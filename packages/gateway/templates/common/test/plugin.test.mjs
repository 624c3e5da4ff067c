// Unit tests of the built plugin (build/plugin.wasm) with @wasmgate/testing: no network, no
// gateway. "npm test" builds first, then runs this file with node:test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin } from '@wasmgate/testing';

const PLUGIN = new URL('../build/plugin.wasm', import.meta.url).pathname;

describe('{{name}}', () => {
  let plugin;
  before(async () => {
    plugin = await loadPlugin(PLUGIN, { config: { header: 'x-hello', value: 'hello test' } });
  });
  after(() => plugin.close());

  it('adds the configured header to the request', () => {
    const s = plugin.stream();
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'example.com' }, { endStream: true });
    assert.equal(r.action, 'continue');
    assert.equal(s.upstream.headers?.get('x-hello'), 'hello test');
    s.respond(200, { body: 'ok' });
    assert.equal(s.downstream.status, 200);
    s.end();
  });

  it('keeps the other request headers as they were', () => {
    const s = plugin.stream();
    s.requestHeaders({ ':method': 'GET', ':path': '/a', ':authority': 'example.com', 'x-user': 'u1' }, { endStream: true });
    assert.equal(s.upstream.headers?.get('x-user'), 'u1');
    assert.equal(s.upstream.headers?.get(':path'), '/a');
    s.end();
  });
});
