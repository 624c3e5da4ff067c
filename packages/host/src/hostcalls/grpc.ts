/**
 * gRPC callouts (spec: "gRPC calls"), with Envoy's semantics (source/extensions/common/wasm/context.cc):
 *
 * - proxy_grpc_call opens a unary call (token kind 1), proxy_grpc_stream a stream (kind 2).
 * - A unary call that succeeds delivers proxy_on_grpc_receive (message in buffer 5) and nothing
 *   else; one that fails delivers proxy_on_grpc_close(status) with proxy_get_status giving
 *   grpc-status and grpc-message.
 * - A stream delivers proxy_on_grpc_receive_initial_metadata (map 4), proxy_on_grpc_receive per
 *   message, proxy_on_grpc_receive_trailing_metadata (map 5), then proxy_on_grpc_close.
 * - `service` is a serialized envoy.config.core.v3.GrpcService whose envoy_grpc.cluster_name names
 *   the cluster (Rust/C++ SDKs), or else the cluster name itself (Higress Go plugins).
 * - proxy_grpc_cancel resets the call or stream: no callback follows. proxy_grpc_close cancels a
 *   unary call and half-closes a stream (its answers still arrive). Unknown tokens ⇒ NotFound.
 */
import { MapType, WasmResult } from '../abi/constants.js';
import { decodePairs, type HeaderPair } from '../abi/pairs.js';
import { utf8Decode } from '../abi/utf8.js';
import type { RootContext } from '../context/root-context.js';
import type { VmScope } from '../context/scope.js';
import type { GrpcEvents, GrpcHandle } from '../ports.js';

interface GrpcEntry {
  readonly root: RootContext;
  readonly stream: boolean;
  handle: GrpcHandle | undefined;
  /** Set once cancelled or closed by the plugin (unary), or once the remote closed. */
  done: boolean;
  finish(): void;
}

const calls = new WeakMap<VmScope, Map<number, GrpcEntry>>();

function table(vm: VmScope): Map<number, GrpcEntry> {
  let t = calls.get(vm);
  if (!t) calls.set(vm, (t = new Map()));
  return t;
}

/** Metadata in the serialized-pairs format; an empty region is no metadata. */
function readMetadata(vm: VmScope, p: number, l: number): HeaderPair[] | undefined | 'oob' {
  const b = vm.memory.view(p, l);
  if (b === undefined) return 'oob';
  if (b.length === 0) return [];
  return decodePairs(b) ?? undefined;
}

function open(
  vm: VmScope, stream: boolean,
  sp: number, sl: number, np: number, nl: number, mp: number, ml: number, hp: number, hl: number, bp: number, bl: number, timeout: number, tokenOut: number,
): number {
  const serviceArg = vm.memory.copy(sp, sl);
  const cluster = serviceArg && clusterOf(serviceArg);
  const service = vm.memory.string(np, nl);
  const method = vm.memory.string(mp, ml);
  const md = readMetadata(vm, hp, hl);
  const message = stream ? new Uint8Array(0) : vm.memory.copy(bp, bl);
  if (cluster === undefined || service === undefined || method === undefined || md === 'oob' || message === undefined || !vm.memory.inBounds(tokenOut >>> 0, 4)) {
    return WasmResult.InvalidMemoryAccess;
  }
  if (md === undefined) return WasmResult.BadArgument;
  const root = vm.acting().root;
  if (!root) return WasmResult.BadArgument;
  const port = stream ? vm.ports.grpcStream : vm.ports.grpcCall;
  if (!port) return WasmResult.Unimplemented;
  const id = vm.nextCalloutId(stream ? 2 : 1);
  let closed!: (v: { status: number; message: string } | undefined) => void;
  const entry: GrpcEntry = { root, stream, handle: undefined, done: false, finish: () => closed(undefined) };
  const alive = () => !entry.done && !root.deleted;
  const run = (fn: () => void) => {
    if (!alive()) return;
    try {
      fn();
    } catch {
      // a trap inside the callback already failed the VM and was reported to listeners
    }
  };
  const events: GrpcEvents = {
    initialMetadata: (pairs) => run(() => deliverMetadata(vm, root, id, MapType.GrpcReceiveInitialMetadata, pairs)),
    trailingMetadata: (pairs) => run(() => deliverMetadata(vm, root, id, MapType.GrpcReceiveTrailingMetadata, pairs)),
    message: (bytes) => run(() => {
      if (!stream) {
        // Envoy: a unary call's success is the message alone; the call is over.
        entry.done = true;
        table(vm).delete(id);
        closed(undefined);
        root.lastStatus = { code: 0, message: '' };
      }
      vm.grpcMessage = bytes;
      try {
        vm.call(root, 'proxy_on_grpc_receive', [root.id, id, bytes.length]);
      } finally {
        vm.grpcMessage = undefined;
      }
    }),
    close: (status, msg) => {
      if (!alive()) return;
      entry.done = true;
      table(vm).delete(id);
      closed({ status, message: msg });
    },
  };
  const answer = new Promise<{ status: number; message: string } | undefined>((resolve) => (closed = resolve));
  const handle = port({ cluster, service, method, initialMetadata: md, message, timeoutMs: timeout >>> 0, plugin: root.pluginName }, events);
  if (handle === 'unknown_cluster') return WasmResult.BadArgument;
  if (handle === 'failed') return WasmResult.InternalFailure;
  entry.handle = handle;
  table(vm).set(id, entry);
  vm.memory.writeU32(tokenOut, id);
  // The close callback goes through trackCallout, so pending counts and VM failure are handled there.
  vm.trackCallout(id, root, answer, (value) => {
    const v = value as { status: number; message: string } | undefined;
    if (!v) return; // cancelled, or a unary success already delivered
    root.lastStatus = { code: v.status, message: v.message };
    vm.call(root, 'proxy_on_grpc_close', [root.id, id, v.status]);
  });
  return WasmResult.Ok;
}

function deliverMetadata(vm: VmScope, root: RootContext, id: number, type: number, pairs: readonly HeaderPair[]): void {
  vm.grpcMetadata = { type, pairs };
  try {
    const name = type === MapType.GrpcReceiveInitialMetadata ? 'proxy_on_grpc_receive_initial_metadata' : 'proxy_on_grpc_receive_trailing_metadata';
    vm.call(root, name, [root.id, id, pairs.length]);
  } finally {
    vm.grpcMetadata = undefined;
  }
}

/**
 * proxy_grpc_call(service_ptr, service_size, service_name_ptr, service_name_size, method_ptr,
 *                 method_size, initial_metadata_ptr, initial_metadata_size, message_ptr,
 *                 message_size, timeout_ms, token_out)
 * Unknown cluster or malformed metadata ⇒ BadArgument; no port ⇒ Unimplemented.
 */
export function proxyGrpcCall(
  vm: VmScope, sp: number, sl: number, np: number, nl: number, mp: number, ml: number, hp: number, hl: number, bp: number, bl: number, timeout: number, tokenOut: number,
): number {
  return open(vm, false, sp, sl, np, nl, mp, ml, hp, hl, bp, bl, timeout, tokenOut);
}

/**
 * proxy_grpc_stream(service_ptr, service_size, service_name_ptr, service_name_size, method_ptr,
 *                   method_size, initial_metadata_ptr, initial_metadata_size, token_out)
 */
export function proxyGrpcStream(
  vm: VmScope, sp: number, sl: number, np: number, nl: number, mp: number, ml: number, hp: number, hl: number, tokenOut: number,
): number {
  return open(vm, true, sp, sl, np, nl, mp, ml, hp, hl, 0, 0, 0, tokenOut);
}

/** proxy_grpc_send(token, message_ptr, message_size, end_stream): streams only (a call token ⇒ BadArgument). */
export function proxyGrpcSend(vm: VmScope, token: number, mp: number, ml: number, end: number): number {
  const msg = vm.memory.copy(mp, ml);
  if (msg === undefined) return WasmResult.InvalidMemoryAccess;
  const e = table(vm).get(token >>> 0);
  if (!e) return WasmResult.NotFound;
  if (!e.stream) return WasmResult.BadArgument;
  e.handle!.send(msg, end !== 0);
  return WasmResult.Ok;
}

/** proxy_grpc_cancel(token): resets; no callback follows. */
export function proxyGrpcCancel(vm: VmScope, token: number): number {
  const t = table(vm);
  const e = t.get(token >>> 0);
  if (!e) return WasmResult.NotFound;
  t.delete(token >>> 0);
  e.done = true;
  e.finish();
  e.handle!.cancel();
  return WasmResult.Ok;
}

/** proxy_grpc_close(token): cancels a unary call; half-closes a stream (its answers still arrive). */
export function proxyGrpcClose(vm: VmScope, token: number): number {
  const e = table(vm).get(token >>> 0);
  if (!e) return WasmResult.NotFound;
  if (!e.stream) return proxyGrpcCancel(vm, token);
  e.handle!.closeLocal();
  return WasmResult.Ok;
}

/**
 * The cluster a `service` argument names: envoy_grpc.cluster_name (field 1.1) when the bytes parse
 * as a GrpcService protobuf that has one (as Envoy tries the proto first), else the bytes as text.
 */
export function clusterOf(bytes: Uint8Array): string {
  const envoyGrpc = protoField(bytes, 1);
  const name = envoyGrpc && protoField(envoyGrpc, 1);
  return utf8Decode(name && name.length > 0 ? name : bytes);
}

/** The last length-delimited field `n` of a protobuf message, or undefined (absent, or not a valid message). */
function protoField(b: Uint8Array, n: number): Uint8Array | undefined {
  let i = 0;
  let found: Uint8Array | undefined;
  const varint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= b.length) return undefined;
      const x = b[i++]!;
      v += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (i < b.length) {
    const key = varint();
    if (key === undefined || key >>> 3 === 0) return undefined;
    switch (key & 7) {
      case 0: if (varint() === undefined) return undefined; break;
      case 1: i += 8; break;
      case 5: i += 4; break;
      case 2: {
        const len = varint();
        if (len === undefined || i + len > b.length) return undefined;
        if (key >>> 3 === n) found = b.subarray(i, i + len);
        i += len;
        break;
      }
      default: return undefined;
    }
    if (i > b.length) return undefined;
  }
  return found;
}
