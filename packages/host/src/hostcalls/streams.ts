/**
 * Stream control hostcalls (spec: "HTTP streams", "Contexts"). Every effect is deferred until the
 * VM call returns (Envoy's addAfterVmCallAction), so a plugin never re-enters itself.
 */
import { GRPC_STATUS_NONE, WasmResult } from '../abi/constants.js';
import { decodePairs } from '../abi/pairs.js';
import { utf8Decode } from '../abi/utf8.js';
import type { HttpContext } from '../context/http-context.js';
import type { VmScope } from '../context/scope.js';

function httpContext(vm: VmScope): HttpContext | undefined {
  const ctx = vm.acting();
  return ctx.kind === 'http' ? (ctx as HttpContext) : undefined;
}

/** proxy_continue_stream(type): 0 request, 1 response; 2/3 (TCP) ⇒ Unimplemented; > 3 ⇒ BadArgument. */
export function proxyContinueStream(vm: VmScope, type: number): number {
  type >>>= 0;
  if (type > 3) return WasmResult.BadArgument;
  if (type > 1) return WasmResult.Unimplemented;
  const ctx = httpContext(vm);
  if (!ctx) return WasmResult.NotFound;
  vm.afterCall(() => ctx.host.continueStream(ctx, type as 0 | 1));
  return WasmResult.Ok;
}

/** proxy_close_stream(type): resets the stream (details `wasm_close_stream`). */
export function proxyCloseStream(vm: VmScope, type: number): number {
  type >>>= 0;
  if (type > 3) return WasmResult.BadArgument;
  if (type > 1) return WasmResult.Unimplemented;
  const ctx = httpContext(vm);
  if (!ctx) return WasmResult.NotFound;
  vm.afterCall(() => ctx.host.closeStream(ctx, type as 0 | 1));
  return WasmResult.Ok;
}

/** ABI 0.1.0 proxy_continue_request() = continue_stream(0). */
export function proxyContinueRequest(vm: VmScope): number {
  return proxyContinueStream(vm, 0);
}

/** ABI 0.1.0 proxy_continue_response() = continue_stream(1). */
export function proxyContinueResponse(vm: VmScope): number {
  return proxyContinueStream(vm, 1);
}

/** ABI 0.1.0 proxy_clear_route_cache(): the gateway re-routes before picking the upstream. */
export function proxyClearRouteCache(vm: VmScope): number {
  const ctx = httpContext(vm);
  if (!ctx) return WasmResult.NotFound;
  ctx.host.propertySet?.('wasmgate.clear_route_cache', new Uint8Array([1]));
  return WasmResult.Ok;
}

/**
 * proxy_send_local_response(status, details_ptr, details_size, body_ptr, body_size,
 *                           headers_ptr, headers_size, grpc_status)
 * One per stream (a second ⇒ BadArgument); headers are pairs (a 4-byte zero count or (0,0) = none).
 */
export function proxySendLocalResponse(
  vm: VmScope, status: number, dp: number, dl: number, bp: number, bl: number, hp: number, hl: number, grpc: number,
): number {
  const details = vm.memory.view(dp, dl);
  const body = vm.memory.copy(bp, bl);
  const headerBytes = vm.memory.view(hp, hl);
  if (details === undefined || body === undefined || headerBytes === undefined) return WasmResult.InvalidMemoryAccess;
  const ctx = httpContext(vm);
  if (!ctx) return WasmResult.NotFound;
  if (ctx.localReplySent) return WasmResult.BadArgument;
  const headers = (decodePairs(headerBytes) ?? []).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
  ctx.noteLocalReply();
  const g = grpc >>> 0;
  const reply = {
    status: status >>> 0,
    details: utf8Decode(details).replace(/ /g, '_'),
    body,
    headers,
    grpcStatus: g === GRPC_STATUS_NONE ? undefined : g,
  };
  vm.afterCall(() => ctx.host.localReply(ctx, reply));
  return WasmResult.Ok;
}

/** proxy_set_effective_context(id): unknown id ⇒ BadArgument; lasts until the VM call returns. */
export function proxySetEffectiveContext(vm: VmScope, id: number): number {
  return vm.setEffective(id >>> 0) ? WasmResult.Ok : WasmResult.BadArgument;
}

/** proxy_done(): a root that returned false from proxy_on_done is now deleted; else NotFound. */
export function proxyDone(vm: VmScope): number {
  const root = vm.acting().root;
  if (!root || !root.pendingDone) return WasmResult.NotFound;
  vm.afterCall(() => root.delete());
  return WasmResult.Ok;
}
