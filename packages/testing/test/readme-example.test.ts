// The complete test shown in packages/testing/README.md, kept runnable (readme-sync.test.ts checks
// that the README shows exactly this file, with '@wasmgate/testing' as the import).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, WasmgateError, type TestPlugin } from '../src/index.js';

// Paths are relative to the working directory: the project root under `npm test`.
const MOCK_RESPONSE = 'fixtures/go/mock-response/plugin.wasm';
const KITCHEN_SINK = 'fixtures/go/kitchen-sink/plugin.wasm';

describe('mock-response', () => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await loadPlugin(MOCK_RESPONSE, {
      config: {
        content: 'hello higress',
        _rules_: [
          { _match_route_: ['default/foo'], content: 'hello foo' },
          { _match_domain_: ['*.example.com'], content: 'hello world' },
        ],
      },
    });
  });
  after(() => plugin.close());

  it('answers a route rule locally', () => {
    const s = plugin.stream({ properties: { route_name: 'default/foo' } });
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'shop.test' }, { endStream: true });

    assert.equal(r.action, 'local-reply');
    assert.equal(s.downstream.status, 200);
    assert.equal(s.downstream.headers?.get('content-type'), 'text/plain');
    assert.equal(s.downstream.body, 'hello foo');
    assert.equal(s.upstream.aborted, true); // nothing went upstream
    assert.deepEqual(s.logs.map((l) => l.message), ['mock-response: rule 0 matched route "default/foo"']);
    s.end();
  });

  it('matches a domain rule on the host without its port', () => {
    const s = plugin.stream();
    s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.example.com:8080' }, { endStream: true });
    assert.equal(s.downstream.body, 'hello world');
    s.end();
  });

  it('rejects a bad configuration at load, with the plugin log', async () => {
    await assert.rejects(loadPlugin(MOCK_RESPONSE, { config: '{not json' }), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details.some((line) => line.startsWith('mock-response: invalid configuration: ')));
      return true;
    });
  });
});

describe('kitchen-sink callout', () => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await loadPlugin(KITCHEN_SINK, { config: { calloutCluster: 'auth' } });
  });
  after(() => plugin.close()); // also fails the test if the plugin made a call nobody scripted

  it('pauses the request until the callout answers', async () => {
    plugin.http.intercept({ cluster: 'auth', method: 'GET', path: '/callout' }).reply(200, 'ok');
    const s = plugin.stream();
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'shop.test', 'x-fixture-mode': 'callout' }, { endStream: true });
    assert.equal(r.action, 'pause');

    await s.settle(); // the scripted answer reaches the plugin, which resumes the request
    assert.equal(s.upstream.headers?.get('x-callout-status'), '200');
    assert.equal(s.upstream.headers?.get('x-callout-body'), 'ok');

    s.respond(200, { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(s.downstream.body, 'hello');
    s.end();
    plugin.http.assertNoPendingInterceptors();
  });

  it('gets a 504 when the callout outlives its timeout on the virtual clock', async () => {
    plugin.http.intercept({ cluster: 'auth' }).reply(200, 'too late').delay(5_000);
    const s = plugin.stream();
    s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'shop.test', 'x-fixture-mode': 'callout' }, { endStream: true });

    await plugin.clock.advance(1_000); // the plugin asked for a 1000 ms timeout
    assert.equal(s.upstream.headers?.get('x-callout-status'), '504');
    assert.equal(plugin.http.calls.at(-1)?.outcome, 'timeout');
    s.end();
  });
});
