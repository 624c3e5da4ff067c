/**
 * Outbound calls (spec: "HTTP calls"; Higress: Redis; gRPC is in grpc.ts). Answers are delivered later,
 * from the event loop, to the root that issued the call.
 */
import { WasmResult } from '../abi/constants.js';
import { decodePairs } from '../abi/pairs.js';
import { utf8Encode } from '../abi/utf8.js';
import type { VmScope } from '../context/scope.js';
import type { HttpCallResponse } from '../ports.js';

/**
 * proxy_http_call(upstream_ptr, upstream_size, headers_ptr, headers_size, body_ptr, body_size,
 *                 trailers_ptr, trailers_size, timeout_ms, token_out)
 * Missing :method/:path/:authority or an unknown cluster ⇒ BadArgument; no port ⇒ Unimplemented.
 */
export function proxyHttpCall(
  vm: VmScope, up: number, upl: number, hp: number, hl: number, bp: number, bl: number, tp: number, tl: number, timeout: number, tokenOut: number,
): number {
  const cluster = vm.memory.string(up, upl);
  const hb = vm.memory.view(hp, hl);
  const headers = hb && decodePairs(hb);
  const body = vm.memory.copy(bp, bl);
  const tb = vm.memory.view(tp, tl);
  const trailers = tb && decodePairs(tb);
  if (cluster === undefined || hb === undefined || body === undefined || tb === undefined || !vm.memory.inBounds(tokenOut >>> 0, 4)) {
    return WasmResult.InvalidMemoryAccess;
  }
  if (!headers || !trailers) return WasmResult.BadArgument;
  const has = (n: string) => headers.some(([k, v]) => k === n && v !== '');
  if (!has(':method') || !has(':path') || !has(':authority')) return WasmResult.BadArgument;
  const root = vm.acting().root;
  if (!root) return WasmResult.BadArgument;
  if (!vm.ports.httpCall) return WasmResult.Unimplemented;
  // Envoy sets content-length itself and never forwards a plugin's.
  const sent = headers.filter(([k]) => k.toLowerCase() !== 'content-length');
  if (body.length > 0) sent.push(['content-length', String(body.length)]);
  const pending = vm.ports.httpCall({ cluster, headers: sent, body, trailers, timeoutMs: timeout >>> 0, plugin: root.pluginName });
  if (pending === 'unknown_cluster') return WasmResult.BadArgument;
  if (pending === 'failed') return WasmResult.InternalFailure;
  const id = vm.nextCalloutId(0);
  vm.memory.writeU32(tokenOut, id);
  vm.trackCallout(id, root, pending, (value, ok) => {
    const answer = ok ? (value as HttpCallResponse) : undefined;
    const status = answer?.headers.find(([k]) => k === ':status')?.[1] ?? '';
    root.lastStatus = answer ? { code: Number(status) || 0, message: status } : { code: WasmResult.BrokenConnection, message: 'reset' };
    vm.calloutAnswer = answer ?? { headers: [], body: new Uint8Array(0), trailers: [] };
    try {
      vm.call(root, 'proxy_on_http_call_response', [
        root.id, id, answer ? answer.headers.length : 0, answer ? answer.body.length : 0, answer ? answer.trailers.length : 0,
      ]);
    } finally {
      vm.calloutAnswer = undefined;
    }
  });
  return WasmResult.Ok;
}

/** proxy_get_status(code_out, message_ptr_out, message_size_out): last callout status of the root. */
export function proxyGetStatus(vm: VmScope, codeOut: number, pOut: number, sOut: number): number {
  const root = vm.acting().root;
  if (!root) return WasmResult.NotFound;
  if (!vm.memory.writeU32(codeOut, root.lastStatus.code)) return WasmResult.InvalidMemoryAccess;
  return vm.memory.giveBytes(utf8Encode(root.lastStatus.message), pOut, sOut);
}

/**
 * Higress proxy_redis_init(cluster_ptr, cluster_size, user_ptr, user_size, pass_ptr, pass_size,
 * timeout_ms): unknown cluster ⇒ BadArgument.
 */
export function proxyRedisInit(vm: VmScope, cp: number, cl: number, up: number, ul: number, pp: number, pl: number, timeout: number): number {
  const cluster = vm.memory.string(cp, cl);
  const user = vm.memory.string(up, ul);
  const pass = vm.memory.string(pp, pl);
  if (cluster === undefined || user === undefined || pass === undefined) return WasmResult.InvalidMemoryAccess;
  const root = vm.acting().root;
  if (!root) return WasmResult.BadArgument;
  if (!vm.ports.redisInit) return WasmResult.Unimplemented;
  const r = vm.ports.redisInit({ cluster, username: user, password: pass, timeoutMs: timeout >>> 0, plugin: root.pluginName });
  return r === 'ok' ? WasmResult.Ok : r === 'unknown_cluster' ? WasmResult.BadArgument : WasmResult.InternalFailure;
}

/**
 * Higress proxy_redis_call(cluster_ptr, cluster_size, query_ptr, query_size, token_out): the query
 * is a RESP array; the raw RESP reply arrives in buffer 9 via proxy_on_redis_call_response.
 */
export function proxyRedisCall(vm: VmScope, cp: number, cl: number, qp: number, ql: number, tokenOut: number): number {
  const cluster = vm.memory.string(cp, cl);
  const query = vm.memory.copy(qp, ql);
  if (cluster === undefined || query === undefined || !vm.memory.inBounds(tokenOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const root = vm.acting().root;
  if (!root) return WasmResult.BadArgument;
  if (!vm.ports.redisCall) return WasmResult.Unimplemented;
  const pending = vm.ports.redisCall(cluster, query, root.pluginName);
  if (pending === 'unknown_cluster') return WasmResult.BadArgument;
  if (pending === 'failed') return WasmResult.InternalFailure;
  const id = vm.nextCalloutId(3);
  vm.memory.writeU32(tokenOut, id);
  vm.trackCallout(id, root, pending, (value, ok) => {
    const reply = ok ? (value as Uint8Array) : new Uint8Array(0);
    vm.redisAnswer = reply;
    try {
      vm.call(root, 'proxy_on_redis_call_response', [root.id, id, ok ? 0 : 1, reply.length]);
    } finally {
      vm.redisAnswer = undefined;
    }
  });
  return WasmResult.Ok;
}
