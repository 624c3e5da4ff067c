// Several plugins in one chain (loadPlugin's `chain`): request order first → last, response order
// last → first, one shared clock, log and set of interceptors.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { loadPlugin, type TestPlugin } from '../src/index.js';
import { fixture, KITCHEN_SINK, modeRequest } from './fixtures.js';

const AUTH = fixture('as/auth-callout.wasm');

async function chain(t: TestContext): Promise<TestPlugin> {
  // The plugin under test (auth-callout) first, kitchen-sink after it.
  const plugin = await loadPlugin(AUTH, { config: { cluster: 'auth-svc' }, chain: [{ wasm: KITCHEN_SINK, position: 'after' }] });
  t.after(() => plugin.close());
  return plugin;
}

describe('a chain of plugins', () => {
  it('runs the next plugin once the first resumes, and responses in reverse order', async (t) => {
    const plugin = await chain(t);
    plugin.http.intercept({ cluster: 'auth-svc', path: '/check' }).reply(200, 'alice');
    const s = plugin.stream();
    const r = s.requestHeaders(modeRequest('shared-counter', { authorization: 'Bearer t' }), { endStream: true });
    assert.equal(r.action, 'pause');
    assert.deepEqual(r.calls.map((c) => `${c.plugin}:${c.callback}`), ['auth-callout:request_headers']);
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-auth-user'), 'alice');
    assert.equal(s.upstream.headers?.get('x-counter'), '1', 'kitchen-sink ran after the resume');
    const [headers] = s.respond(200);
    assert.deepEqual(headers?.calls.map((c) => `${c.plugin}:${c.callback}`), ['kitchen-sink:response_headers', 'auth-callout:response_headers']);
    assert.equal(s.downstream.headers?.get('x-auth-plugin'), 'as');
    s.end();
    assert.deepEqual(plugin.logsAt('debug'), ['done 1']);
  });

  it('a local reply from the first plugin skips the plugins that never saw the request', async (t) => {
    const plugin = await chain(t);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('shared-counter'), { endStream: true });
    assert.equal(s.downstream.status, 401);
    assert.deepEqual(s.calls.map((c) => `${c.plugin}:${c.callback}`), ['auth-callout:response_headers', 'auth-callout:response_body', 'auth-callout:request_headers']);
    s.end();
    // Envoy never creates kitchen-sink's context for this stream, so it logs no "done".
    assert.deepEqual(plugin.logsAt('debug'), []);
  });
});
