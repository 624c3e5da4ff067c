/**
 * Higress-only hostcalls that act on the stream: injecting body bytes, upstream host listing and
 * override. (Redis lives in callouts.ts.)
 */
import { WasmResult } from '../abi/constants.js';
import { encodePairs } from '../abi/pairs.js';
import type { HttpContext } from '../context/http-context.js';
import type { VmScope } from '../context/scope.js';

function stream(vm: VmScope): HttpContext | undefined {
  const c = vm.acting();
  return c.kind === 'http' ? (c as HttpContext) : undefined;
}

/** proxy_inject_encoded_data_to_filter_chain(data_ptr, data_size, end_stream). */
export function proxyInjectEncodedDataToFilterChain(vm: VmScope, p: number, n: number, end: number): number {
  const data = vm.memory.copy(p, n);
  if (data === undefined) return WasmResult.InvalidMemoryAccess;
  const ctx = stream(vm);
  if (!ctx || !ctx.host.inject) return WasmResult.NotFound;
  const endStream = end !== 0;
  vm.afterCall(() => void ctx.host.inject?.(ctx, data, endStream));
  return WasmResult.Ok;
}

/** proxy_get_upstream_hosts(ptr_out, size_out): pairs (`ip:port`, JSON info) for the stream's cluster. */
export function proxyGetUpstreamHosts(vm: VmScope, pOut: number, sOut: number): number {
  const ctx = stream(vm);
  const hosts = ctx?.host.upstreamHosts?.();
  if (!hosts) return WasmResult.NotFound;
  return vm.memory.giveBytes(encodePairs(hosts), pOut, sOut);
}

/** proxy_set_upstream_override_host(ptr, size): pin the request to `ip:port`. */
export function proxySetUpstreamOverrideHost(vm: VmScope, p: number, n: number): number {
  const host = vm.memory.string(p, n);
  if (host === undefined) return WasmResult.InvalidMemoryAccess;
  const ctx = stream(vm);
  if (!ctx || !ctx.host.setUpstreamOverrideHost) return WasmResult.NotFound;
  return ctx.host.setUpstreamOverrideHost(host) ? WasmResult.Ok : WasmResult.BadArgument;
}
