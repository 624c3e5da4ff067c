// Issue 9 item 5: scripted gRPC callouts (plugin.grpc) through the WAT grpc-callout fixture, which
// makes a unary call (or a stream with `x-grpc-mode: stream`) from proxy_on_request_headers and
// resumes the request with headers carrying what it received.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { loadPlugin, type LoadOptions, type TestPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const GRPC = fixture('wat/grpc-callout.wasm');
const REQUEST = { ':method': 'GET', ':path': '/', ':authority': 'x', ':scheme': 'http' };
const HI = Uint8Array.of(0x0a, 0x02, 0x68, 0x69);

async function load(t: TestContext, options: LoadOptions = {}): Promise<TestPlugin> {
  const plugin = await loadPlugin(GRPC, options);
  t.after(() => plugin.close());
  return plugin;
}

describe('issue 9: scripted gRPC callouts', () => {
  it('a unary call gets its message in buffer 5 and status 0; the call carries service, method, metadata, message', async (t) => {
    const plugin = await load(t, { clusters: ['grpc'] });
    plugin.grpc.intercept({ cluster: 'grpc', service: 'echo.Echo', method: 'Unary' }).reply(Uint8Array.of(0x0a, 0x03, 0x61, 0x62, 0x63));
    const s = plugin.stream();
    assert.equal(s.requestHeaders(REQUEST, { endStream: true }).action, 'pause');
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-grpc-len'), '5');
    assert.equal(s.upstream.headers?.get('x-grpc-hex'), '0a03616263');
    assert.equal(s.upstream.headers?.get('x-grpc-status'), '0');
    assert.equal(s.upstream.headers?.get('x-grpc-md'), undefined, 'a unary call delivers no metadata (Envoy)');
    const call = plugin.grpc.calls[0]!;
    assert.equal(call.kind, 'unary');
    assert.equal(call.initialMetadata.get('x-from'), 'plugin');
    assert.deepEqual([...call.messages[0]!], [...HI]);
    assert.equal(call.timeoutMs, 1000);
    assert.equal(call.outcome, 'replied');
    s.respond(200);
    s.end();
    plugin.grpc.assertNoPendingInterceptors();
  });

  it('a failed unary call delivers proxy_on_grpc_close with grpc-status and grpc-message', async (t) => {
    const plugin = await load(t);
    plugin.grpc.intercept({ method: 'Unary' }).fail(5, 'no such thing');
    const s = plugin.stream();
    s.requestHeaders(REQUEST, { endStream: true });
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-grpc-status'), '5');
    assert.equal(s.upstream.headers?.get('x-grpc-message'), 'no such thing');
    assert.equal(s.upstream.headers?.get('x-grpc-len'), undefined);
    s.respond(200);
    s.end();
  });

  it('a unary call that outlives its timeout closes with DEADLINE_EXCEEDED (4)', async (t) => {
    const plugin = await load(t);
    plugin.grpc.intercept({ method: 'Unary' }).reply(HI).delay(5000);
    const s = plugin.stream();
    s.requestHeaders(REQUEST, { endStream: true });
    await plugin.clock.advance(1000);
    assert.equal(s.upstream.headers?.get('x-grpc-status'), '4');
    assert.equal(plugin.grpc.calls[0]?.outcome, 'timeout');
    s.respond(200);
    s.end();
  });

  it('a stream delivers initial metadata (map 4), each message, trailing metadata (map 5), then close', async (t) => {
    const plugin = await load(t);
    plugin.grpc.intercept({ service: 'echo.Echo', method: 'Stream' })
      .reply([HI, Uint8Array.of(0x01)], { initialMetadata: { 'x-md': 'first' }, trailingMetadata: { 'x-trailer': 'last' }, status: 0 });
    const s = plugin.stream();
    assert.equal(s.requestHeaders({ ...REQUEST, 'x-grpc-mode': 'stream' }, { endStream: true }).action, 'pause');
    await s.settle();
    const h = s.upstream.headers!;
    assert.equal(h.get('x-grpc-md'), 'first');
    assert.deepEqual(h.getAll('x-grpc-hex'), ['0a026869', '01']);
    assert.deepEqual(h.getAll('x-grpc-len'), ['4', '1']);
    assert.equal(h.get('x-grpc-trailer'), 'last');
    assert.equal(h.get('x-grpc-status'), '0');
    const call = plugin.grpc.calls[0]!;
    assert.equal(call.kind, 'stream');
    assert.equal(call.localClosed, true, 'proxy_grpc_send with end_stream half-closes');
    assert.deepEqual([...call.messages[0]!], [...HI]);
    s.respond(200);
    s.end();
  });

  it('an unknown cluster answers BadArgument at the call; an unscripted call closes UNAVAILABLE and fails the test', async (t) => {
    const plugin = await load(t, { clusters: ['other'] });
    const s = plugin.stream();
    assert.equal(s.requestHeaders(REQUEST, { endStream: true }).action, 'continue');
    assert.equal(s.upstream.headers?.get('x-grpc-result'), '2');
    s.respond(200);
    s.end();

    const p2 = await loadPlugin(GRPC);
    const s2 = p2.stream();
    s2.requestHeaders(REQUEST, { endStream: true });
    await s2.settle();
    assert.equal(s2.upstream.headers?.get('x-grpc-status'), '14');
    s2.respond(200);
    assert.throws(() => s2.end(), (e: Error & { code?: string }) => e.code === 'WG_HARNESS_UNMATCHED_GRPC_CALL');
    p2.close();
  });
});
