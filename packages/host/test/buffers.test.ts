/**
 * Buffers (reference §3 body sizes and returns, §4 buffer rows, "Buffers:" availability).
 *
 * Checklist rows:
 * - log, get/set_buffer_bytes, header … (must) — the buffer part
 * - request/response headers/body/trailers + status mapping (must) — body callbacks and sizes
 * - get_buffer_status (should)
 * Traced host checklist: 4 (configure reads buffer 7 with max 0x7fffffff), 11 (get_buffer_bytes
 * clamps max), 13 (body return 1 buffers and calls again with the accumulated size).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyBuffer, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { CB, HostcallProxy, text } from './helpers/proxy.js';

async function withBody(initial: string, eos = true) {
  const h = await HostcallProxy.create({ vmConfig: 'the VM configuration' });
  const s = h.stream({ requestHeaders: [[':path', '/']] });
  s.ctx.requestBody = new BodyBuffer(bytes(initial), eos);
  const read = (type: number, start: number, max: number) => {
    const [p, sz] = [h.scratch.out(), h.scratch.out()];
    const r = h.call('get_buffer_bytes', [type, start, max, p, sz], s.ctx);
    return r === WasmResult.Ok ? text(h.readOut(p, sz)) : r;
  };
  const set = (start: number, len: number, data: string) => h.call('set_buffer_bytes', [0, start, len, ...h.scratch.put(data)], s.ctx);
  const body = () => text(s.ctx.requestBody!.bytes);
  return { h, ...s, read, set, body };
}

describe('proxy_get_buffer_bytes', () => {
  test('whole buffer with max 0x7fffffff; ranges are clamped; start past the end is empty and OK', async () => {
    const { read } = await withBody('hello world');
    assert.equal(read(0, 0, 0x7fffffff), 'hello world');
    assert.equal(read(0, 6, 100), 'world');
    assert.equal(read(0, 2, 3), 'llo');
    assert.equal(read(0, 11, 10), '');
    assert.equal(read(0, 0x7fffffff, 0), '');
    assert.equal(read(0, 0, 0), '', 'zero length');
  });

  test('start + max overflowing u32 is BadArgument; unknown type BadArgument; unavailable NotFound', async () => {
    const { read, h } = await withBody('x');
    assert.equal(read(0, 0xffffffff, 1), WasmResult.BadArgument);
    assert.equal(read(0, 0x80000000, 0x80000000), WasmResult.BadArgument);
    assert.equal(read(10, 0, 1), WasmResult.BadArgument);
    assert.equal(read(1, 0, 1), WasmResult.NotFound, 'no response body now');
    assert.equal(read(4, 0, 1), WasmResult.NotFound, 'no callout answer now');
    assert.equal(read(5, 0, 1), WasmResult.NotFound, 'gRPC');
    assert.equal(read(8, 0, 1), WasmResult.NotFound, 'no foreign-function call');
    assert.equal(read(9, 0, 1), WasmResult.NotFound, 'no Redis answer');
    assert.ok(h);
  });

  test('buffer 6 is the VM configuration, in any context', async () => {
    const { read, h } = await withBody('');
    assert.equal(read(6, 0, 0x7fffffff), 'the VM configuration');
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_buffer_bytes', [6, 4, 2, p, s], h.vmContext), WasmResult.Ok);
    assert.equal(h.readOutText(p, s), 'VM');
  });
});

describe('proxy_get_buffer_status', () => {
  test('length and flags (EndOfStream = 1 on the last chunk)', async () => {
    for (const eos of [true, false]) {
      const { h, ctx } = await withBody('12345', eos);
      const [len, flags] = [h.scratch.out(), h.scratch.out()];
      assert.equal(h.call('get_buffer_status', [0, len, flags], ctx), WasmResult.Ok);
      assert.deepEqual([h.readU32(len), h.readU32(flags)], [5, eos ? 1 : 0]);
    }
  });

  test('VM configuration: its length, flags 0; unavailable: NotFound; type 10: BadArgument', async () => {
    const { h, ctx } = await withBody('');
    const [len, flags] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_buffer_status', [6, len, flags], ctx), WasmResult.Ok);
    assert.deepEqual([h.readU32(len), h.readU32(flags)], ['the VM configuration'.length, 0]);
    assert.equal(h.call('get_buffer_status', [1, len, flags], ctx), WasmResult.NotFound);
    assert.equal(h.call('get_buffer_status', [10, len, flags], ctx), WasmResult.BadArgument);
  });
});

describe('proxy_set_buffer_bytes (Envoy rules)', () => {
  test('start 0, length 0: prepend', async () => {
    const { set, body } = await withBody('world');
    assert.equal(set(0, 0, 'hello '), WasmResult.Ok);
    assert.equal(body(), 'hello world');
  });

  test('start 0, length n: drop the first n bytes, then prepend (replace)', async () => {
    const { set, body } = await withBody('hello world');
    assert.equal(set(0, 5, 'HOWDY'), WasmResult.Ok);
    assert.equal(body(), 'HOWDY world');
  });

  test('start 0, length larger than the buffer (wasm-go uses 0x7fffffff): replace everything', async () => {
    const { set, body } = await withBody('hello world');
    assert.equal(set(0, 0x7fffffff, 'new'), WasmResult.Ok);
    assert.equal(body(), 'new');
    assert.equal(set(0, 0xffffffff, ''), WasmResult.Ok);
    assert.equal(body(), '');
  });

  test('start ≥ size: append', async () => {
    const { set, body } = await withBody('abc');
    assert.equal(set(3, 0, 'def'), WasmResult.Ok);
    assert.equal(set(1000, 5, '!'), WasmResult.Ok);
    assert.equal(body(), 'abcdef!');
  });

  test('0 < start < size: BadArgument, body unchanged', async () => {
    const { set, body } = await withBody('abcdef');
    assert.equal(set(2, 1, 'X'), WasmResult.BadArgument);
    assert.equal(body(), 'abcdef');
  });

  test('immutable buffers (VM / plugin configuration) ⇒ BadArgument; unavailable ⇒ NotFound; type 10 ⇒ BadArgument', async () => {
    const { h, ctx } = await withBody('');
    assert.equal(h.call('set_buffer_bytes', [6, 0, 0, ...h.scratch.put('x')], ctx), WasmResult.BadArgument);
    assert.equal(h.call('set_buffer_bytes', [1, 0, 0, ...h.scratch.put('x')], ctx), WasmResult.NotFound);
    assert.equal(h.call('set_buffer_bytes', [10, 0, 0, ...h.scratch.put('x')], ctx), WasmResult.BadArgument);
  });
});

describe('bodies through the chain', () => {
  test('kitchen-sink body-upper: return 1 until eos (accumulated size), then replace the whole body', async () => {
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'body-upper']], '/', 'POST'), false);
    run.stream.requestData(bytes('hello '), false);
    run.stream.requestData(bytes('big '), false);
    assert.deepEqual(run.sink.events, ['up:headers'], 'body chunks are held while the plugin buffers');
    run.stream.requestData(bytes('world'), true);
    assert.equal(run.sink.upstreamBody, 'HELLO BIG WORLD');
    assert.ok(run.sink.upstreamEnded);
  });

  test('hostcall-proxy: body callback sizes are the chunk, or the accumulated body while buffering', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    h.resetEvents();
    run.stream.requestData(bytes('aaaa'), false);
    run.stream.requestData(bytes('bb'), false);
    h.setReturn(CB.request_body, 0);
    run.stream.requestData(bytes('c'), true);
    assert.deepEqual(h.eventLines(3).map((l) => l.replace(/^request_body\(\d+,/, '(')), ['(4,0)', '(6,0)', '(7,1)']);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(7):eos']);
  });

  test('kitchen-sink resp-body-append: append at start = size (0, 0 on an empty last chunk)', async () => {
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'resp-body-append']]), true);
    run.stream.responseHeaders(responseHeaders(200, [['content-length', '5']]), false);
    assert.equal(run.sink.downstreamHeaders?.get('content-length'), undefined, 'removed by the plugin');
    run.stream.responseData(bytes('first'), false);
    run.stream.responseData(new Uint8Array(0), true);
    assert.equal(run.sink.downstreamBody, 'first\n-- via kitchen-sink');
  });

  test('C body-redact: buffered request body masked as a whole; response chunks masked one by one', async () => {
    const { vm, root, ports } = await loadPlugin('fixtures/c/body-redact.wasm');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
    run.stream.requestData(bytes('my secret is secr'), false);
    run.stream.requestData(bytes('etsecret!'), true);
    assert.equal(run.sink.upstreamBody, 'my ****** is ************!');
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('a secret, a secr'), false);
    run.stream.responseData(bytes('et'), true);
    assert.equal(run.sink.downstreamBody, 'a ******, a secret', 'a secret split across chunks stays');
    assert.ok(ports.messages().includes('body-redact: request body 26 bytes, 3 redactions'));
  });

  test('paused from on_request_body (return 1), the plugin can still read and replace the buffered body, then continue', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
    run.stream.requestData(bytes('original body'), true);
    const ctx = run.stream.contexts[0]!;
    // As from a callout answer: not inside a body callback.
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_buffer_bytes', [0, 0, 0x7fffffff, p, s], ctx), WasmResult.Ok);
    assert.equal(h.readOutText(p, s), 'original body');
    assert.equal(h.call('set_buffer_bytes', [0, 0, 0x7fffffff, ...h.scratch.put('replaced')], ctx), WasmResult.Ok);
    assert.deepEqual(run.sink.events, ['up:headers']);
    assert.equal(h.call('continue_stream', [0], ctx), WasmResult.Ok);
    assert.equal(run.sink.upstreamBody, 'replaced');
    assert.equal(h.call('get_buffer_bytes', [0, 0, 10, p, s], ctx), WasmResult.NotFound, 'gone once it left the chain');
  });

  test('a body passed on (return 0) is no longer readable after the callback', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
    run.stream.requestData(bytes('gone'), false);
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_buffer_bytes', [0, 0, 10, p, s], run.stream.contexts[0]!), WasmResult.NotFound);
  });
});
