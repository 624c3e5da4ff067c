// Issue 9 item 5: the proxy_grpc_* hostcalls against a scripted port, with Envoy's semantics
// (callout ids kind 1 = call, 2 = stream; unary success = on_grpc_receive only; cancel silences;
// close half-closes a stream and cancels a call).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePairs, WasmResult, type GrpcCallRequest, type GrpcEvents, type GrpcHandle, type HostPorts } from '@wasmgate/host';
import { settle, TestPorts } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';

interface Opened {
  readonly kind: 'unary' | 'stream';
  readonly req: GrpcCallRequest;
  readonly events: GrpcEvents;
  readonly sent: { msg: number[]; end: boolean }[];
  closedLocal: number;
  cancelled: number;
}

async function setup(): Promise<{ h: HostcallProxy; opened: Opened[] }> {
  const ports = new TestPorts();
  const opened: Opened[] = [];
  const open = (kind: 'unary' | 'stream') => (req: GrpcCallRequest, events: GrpcEvents): GrpcHandle | 'unknown_cluster' | 'failed' => {
    if (req.cluster === 'nowhere') return 'unknown_cluster';
    if (req.cluster === 'broken') return 'failed';
    const o: Opened = { kind, req, events, sent: [], closedLocal: 0, cancelled: 0 };
    opened.push(o);
    return {
      send: (m, end) => void o.sent.push({ msg: [...m], end }),
      closeLocal: () => void o.closedLocal++,
      cancel: () => void o.cancelled++,
    };
  };
  const p = ports as unknown as { -readonly [K in keyof HostPorts]: HostPorts[K] };
  p.grpcCall = open('unary');
  p.grpcStream = open('stream');
  return { h: await HostcallProxy.create({ ports }), opened };
}

function grpcCall(h: HostcallProxy, cluster: string, message = 'ping', metadata: [string, string][] = []): { r: number; token: number } {
  const out = h.scratch.out();
  const md = encodePairs(metadata);
  const r = h.call('grpc_call', [...h.scratch.put(cluster), ...h.scratch.put('echo.Echo'), ...h.scratch.put('Unary'), ...h.scratch.put(md), ...h.scratch.put(message), 500, out]);
  return { r, token: h.readU32(out) };
}

function grpcStream(h: HostcallProxy, cluster = 'grpc'): { r: number; token: number } {
  const out = h.scratch.out();
  const r = h.call('grpc_stream', [...h.scratch.put(cluster), ...h.scratch.put('echo.Echo'), ...h.scratch.put('Stream'), 0, 0, out]);
  return { r, token: h.readU32(out) };
}

function status(h: HostcallProxy): { code: number; message: string } {
  const [c, p, s] = [h.scratch.out(), h.scratch.out(), h.scratch.out()];
  assert.equal(h.call('get_status', [c, p, s]), WasmResult.Ok);
  return { code: h.readU32(c), message: new TextDecoder().decode(h.vm.memory.view(h.readU32(p), h.readU32(s))) };
}

describe('issue 9: proxy_grpc_* hostcalls', () => {
  test('a unary call passes cluster, service, method, metadata, message and timeout; success is on_grpc_receive alone', async () => {
    const { h, opened } = await setup();
    const { r, token } = grpcCall(h, 'grpc', 'ping', [['x-a', '1']]);
    assert.equal(r, WasmResult.Ok);
    assert.equal(token & 3, 1, 'call ids have kind 1');
    const o = opened[0]!;
    assert.deepEqual({ ...o.req, message: new TextDecoder().decode(o.req.message) },
      { cluster: 'grpc', service: 'echo.Echo', method: 'Unary', initialMetadata: [['x-a', '1']], message: 'ping', timeoutMs: 500, plugin: 'proxy' });
    assert.equal(h.vm.pendingCallouts, 1);
    o.events.message(new TextEncoder().encode('pong!'));
    o.events.close(0, ''); // ignored: the call is over with its message
    await settle();
    assert.deepEqual(h.eventLines(3).filter((l) => l.startsWith('cb')), [`cb18(${h.root.id},${token},5)`]);
    assert.equal(h.vm.pendingCallouts, 0);
    assert.equal(h.call('grpc_cancel', [token]), WasmResult.NotFound, 'the call is gone');
  });

  test('a failed unary call is on_grpc_close(status) with proxy_get_status = grpc-status / grpc-message', async () => {
    const { h, opened } = await setup();
    const { token } = grpcCall(h, 'grpc');
    opened[0]!.events.close(14, 'upstream connect error');
    await settle();
    assert.deepEqual(h.eventLines(3).filter((l) => l.startsWith('cb')), [`cb20(${h.root.id},${token},14)`]);
    assert.deepEqual(status(h), { code: 14, message: 'upstream connect error' });
  });

  test('a stream: send, half-close, initial metadata, messages, trailing metadata, close', async () => {
    const { h, opened } = await setup();
    const { r, token } = grpcStream(h);
    assert.equal(r, WasmResult.Ok);
    assert.equal(token & 3, 2, 'stream ids have kind 2');
    assert.equal(h.call('grpc_send', [token, ...h.scratch.put('a'), 0]), WasmResult.Ok);
    assert.equal(h.call('grpc_send', [token, ...h.scratch.put('b'), 1]), WasmResult.Ok);
    const o = opened[0]!;
    assert.deepEqual(o.sent, [{ msg: [0x61], end: false }, { msg: [0x62], end: true }]);
    assert.equal(h.call('grpc_close', [token]), WasmResult.Ok);
    assert.equal(o.closedLocal, 1, 'proxy_grpc_close half-closes a stream');
    o.events.initialMetadata([['x-md', 'v'], ['x-2', 'w']]);
    o.events.message(Uint8Array.of(1, 2, 3));
    o.events.message(Uint8Array.of(4));
    o.events.trailingMetadata([['grpc-status', '0']]);
    o.events.close(0, '');
    await settle();
    const id = h.root.id;
    assert.deepEqual(h.eventLines(3).filter((l) => l.startsWith('cb')),
      [`cb17(${id},${token},2)`, `cb18(${id},${token},3)`, `cb18(${id},${token},1)`, `cb19(${id},${token},1)`, `cb20(${id},${token},0)`]);
    assert.equal(h.vm.pendingCallouts, 0);
  });

  test('proxy_grpc_cancel resets and silences: no callback follows; a second cancel is NotFound', async () => {
    const { h, opened } = await setup();
    const { token } = grpcStream(h);
    assert.equal(h.call('grpc_cancel', [token]), WasmResult.Ok);
    const o = opened[0]!;
    assert.equal(o.cancelled, 1);
    o.events.initialMetadata([]);
    o.events.message(Uint8Array.of(1));
    o.events.close(1, 'cancelled');
    await settle();
    assert.deepEqual(h.eventLines(3).filter((l) => l.startsWith('cb')), []);
    assert.equal(h.vm.pendingCallouts, 0);
    assert.equal(h.call('grpc_cancel', [token]), WasmResult.NotFound);
    assert.equal(h.call('grpc_send', [token, 0, 0, 0]), WasmResult.NotFound);
  });

  test('proxy_grpc_close cancels a unary call; proxy_grpc_send on a call token is BadArgument', async () => {
    const { h, opened } = await setup();
    const { token } = grpcCall(h, 'grpc');
    assert.equal(h.call('grpc_send', [token, 0, 0, 1]), WasmResult.BadArgument);
    assert.equal(h.call('grpc_close', [token]), WasmResult.Ok);
    assert.equal(opened[0]!.cancelled, 1);
    opened[0]!.events.message(Uint8Array.of(1));
    await settle();
    assert.deepEqual(h.eventLines(3).filter((l) => l.startsWith('cb')), []);
  });

  test('an unknown cluster is BadArgument, a dispatch failure InternalFailure, malformed metadata BadArgument; no token written', async () => {
    const { h } = await setup();
    assert.equal(grpcCall(h, 'nowhere').r, WasmResult.BadArgument);
    assert.equal(grpcCall(h, 'broken').r, WasmResult.InternalFailure);
    const out = h.scratch.out();
    h.vm.memory.write(out, Uint8Array.of(9, 9, 9, 9));
    const bad = h.scratch.put(Uint8Array.of(5, 0, 0, 0, 1));
    assert.equal(h.call('grpc_call', [...h.scratch.put('grpc'), ...h.scratch.put('s'), ...h.scratch.put('m'), ...bad, 0, 0, 0, out]), WasmResult.BadArgument);
    assert.equal(h.readU32(out), 0x09090909);
  });

  test('service: a serialized GrpcService names its envoy_grpc.cluster_name; anything else is the cluster name itself', async () => {
    const enc = new TextEncoder();
    const name = enc.encode('outbound|50051||grpc.default.svc.cluster.local');
    const envoyGrpc = Uint8Array.of(0x0a, name.length, ...name, 0x12, 1, 0x61); // cluster_name, authority "a"
    const proto = Uint8Array.of(0x0a, envoyGrpc.length, ...envoyGrpc, 0x1a, 2, 0x08, 5); // envoy_grpc, timeout {seconds: 5}
    const { h, opened } = await setup();
    const clusterFor = (service: Uint8Array | string): string => {
      const out = h.scratch.out();
      assert.equal(h.call('grpc_call', [...h.scratch.put(service), ...h.scratch.put('s'), ...h.scratch.put('m'), 0, 0, 0, 0, 0, out]), WasmResult.Ok);
      return opened.at(-1)!.req.cluster;
    };
    assert.equal(clusterFor(proto), 'outbound|50051||grpc.default.svc.cluster.local');
    for (const plain of ['grpc', 'echo', 'outbound|80||echo.default.svc.cluster.local', 'b', 'auth.static']) assert.equal(clusterFor(plain), plain);
  });
});
