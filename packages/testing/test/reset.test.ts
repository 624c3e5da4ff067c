// A stream reset by the plugin (proxy_close_stream): later input is dropped and every step reports
// 'reset'. Driven through the WAT hostcall-proxy fixture, whose exports call any hostcall.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

it('after proxy_close_stream every step reports reset and nothing more is delivered', async (t) => {
  const plugin = await loadPlugin(fixture('wat/hostcall-proxy.wasm'));
  t.after(() => plugin.close());
  const s = plugin.stream();
  assert.equal(s.requestHeaders({ ':method': 'POST', ':path': '/', ':authority': 'x' }).action, 'continue');
  const ctx = plugin.vm.contextById(s.contextId!);
  assert.ok(ctx);
  assert.equal(plugin.vm.call(ctx, 'call_close_stream', [0]), 0);
  assert.equal(s.resetReason, 'wasm_close_stream');
  const body = s.requestBody('late', { endStream: true });
  assert.deepEqual([body.action, body.status, body.calls.length], ['reset', undefined, 0]);
  assert.equal(s.upstream.body, '');
  const [headers] = s.respond(200);
  assert.deepEqual([headers?.action, headers?.calls.length], ['reset', 0]);
  assert.equal(s.downstream.headers, undefined);
  s.end();
});
