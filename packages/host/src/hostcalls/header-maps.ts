/**
 * Header-map hostcalls (spec: "HTTP fields"). Maps 0–3 belong to the acting stream; 6/7 are the
 * answer of the HTTP call whose callback is running (read-only). Keys are lower-cased.
 *
 * These run dozens of times per request, so the hot ones (get, add, remove) allocate nothing they
 * can avoid: keys are compared against guest bytes in place (ASCII, case-folded) instead of being
 * decoded, and the map is resolved without building a result object.
 */
import { AbiVersion, MapType, WasmResult } from '../abi/constants.js';
import { decodePairs, type HeaderPair } from '../abi/pairs.js';
import { asciiKeyEquals, isAsciiKey } from '../abi/utf8.js';
import type { Context } from '../context/context.js';
import { HeaderMap, pairsByteSize } from '../context/header-map.js';
import type { VmScope } from '../context/scope.js';

/**
 * Resolves a map type for the acting context: the HeaderMap for maps 0–3, the callout answer's
 * (read-only) pairs for 6/7, or a WasmResult error code.
 */
function resolve(vm: VmScope, type: number): HeaderMap | readonly HeaderPair[] | number {
  type >>>= 0;
  if (type > MapType.HttpCallResponseTrailers) return WasmResult.BadArgument;
  if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
    const a = vm.calloutAnswer;
    if (!a) return WasmResult.BadArgument;
    return type === MapType.HttpCallResponseHeaders ? a.headers : a.trailers;
  }
  if (type === MapType.GrpcReceiveInitialMetadata || type === MapType.GrpcReceiveTrailingMetadata) {
    const g = vm.grpcMetadata;
    return g && g.type === type ? g.pairs : WasmResult.BadArgument;
  }
  const ctx = vm.acting();
  return ctx.mapFor(type) ?? missing(ctx);
}

/** Envoy: a stream in on_log whose map never existed answers NotFound; elsewhere BadArgument. */
function missing(ctx: Context): number {
  return ctx.kind === 'http' && (ctx as { phase?: string }).phase === 'log' ? WasmResult.NotFound : WasmResult.BadArgument;
}

function pairsOf(r: HeaderMap | readonly HeaderPair[]): readonly HeaderPair[] {
  return r instanceof HeaderMap ? r.pairs : r;
}

/** Index of the first pair whose name equals the guest key at (kp, kl), or -1. */
function indexOfKey(vm: VmScope, pairs: readonly HeaderPair[], kp: number, kl: number): number {
  const bytes = vm.memory.bytes();
  if (isAsciiKey(bytes, kp, kl)) {
    for (let i = 0; i < pairs.length; i++) if (asciiKeyEquals(pairs[i]![0], bytes, kp, kl)) return i;
    return -1;
  }
  const key = vm.memory.lowerString(kp, kl)!;
  for (let i = 0; i < pairs.length; i++) if (pairs[i]![0] === key) return i;
  return -1;
}

/** proxy_get_header_map_value(type, key_ptr, key_size, value_ptr_out, value_size_out): first value. */
export function proxyGetHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number, pOut: number, sOut: number): number {
  kp >>>= 0;
  kl >>>= 0;
  if (!vm.memory.inBounds(kp, kl)) return WasmResult.InvalidMemoryAccess;
  const r = resolve(vm, type);
  if (typeof r === 'number') return r;
  const pairs = pairsOf(r);
  const i = indexOfKey(vm, pairs, kp, kl);
  // ABI 0.1.0 (Envoy): a missing key is an empty value, not NotFound.
  if (i < 0) return vm.abi === AbiVersion.v0_1_0 ? vm.memory.giveBytes(new Uint8Array(0), pOut, sOut) : WasmResult.NotFound;
  return vm.memory.giveString(pairs[i]![1], pOut, sOut);
}

/** proxy_get_header_map_pairs(type, ptr_out, size_out): pseudo headers first, duplicates kept. */
export function proxyGetHeaderMapPairs(vm: VmScope, type: number, pOut: number, sOut: number): number {
  const r = resolve(vm, type);
  if (typeof r === 'number') {
    if (r === WasmResult.BadArgument && (type >>> 0) > MapType.HttpCallResponseTrailers) return r;
    return vm.memory.giveBytes(new Uint8Array(0), pOut, sOut);
  }
  return r instanceof HeaderMap ? vm.memory.givePairs(r.pairs, true, pOut, sOut) : vm.memory.givePairs(r, false, pOut, sOut);
}

function writableMap(vm: VmScope, type: number): HeaderMap | number {
  const r = resolve(vm, type);
  if (typeof r === 'number') return r;
  if (!(r instanceof HeaderMap) || !vm.acting().mapWritable(type >>> 0)) return WasmResult.BadArgument;
  return r;
}

/** proxy_set_header_map_pairs(type, ptr, size): replaces the whole map; malformed ⇒ empty map. */
export function proxySetHeaderMapPairs(vm: VmScope, type: number, ptr: number, size: number): number {
  const bytes = vm.memory.view(ptr, size);
  if (bytes === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.replaceAll(decodePairs(bytes) ?? []);
  return WasmResult.Ok;
}

/** proxy_add_header_map_value(type, key_ptr, key_size, value_ptr, value_size): appends. */
export function proxyAddHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number, vp: number, vl: number): number {
  const key = vm.memory.lowerString(kp, kl);
  const value = vm.memory.string(vp, vl);
  if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.addLower(key, value);
  return WasmResult.Ok;
}

/** proxy_replace_header_map_value(...): overwrites the first occurrence (drops the rest) or adds. */
export function proxyReplaceHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number, vp: number, vl: number): number {
  const key = vm.memory.lowerString(kp, kl);
  const value = vm.memory.string(vp, vl);
  if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.set(key, value);
  return WasmResult.Ok;
}

/** proxy_remove_header_map_value(type, key_ptr, key_size): drops every occurrence; Ok when absent. */
export function proxyRemoveHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number): number {
  kp >>>= 0;
  kl >>>= 0;
  if (!vm.memory.inBounds(kp, kl)) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  // Find the name in place; only a present name needs the map to change (no string decoded).
  const i = indexOfKey(vm, map.pairs, kp, kl);
  if (i >= 0) map.removeLowerFrom(map.pairs[i]![0], i);
  return WasmResult.Ok;
}

/** proxy_get_header_map_size(type, size_out): byte size of names and values, as Envoy reports. */
export function proxyGetHeaderMapSize(vm: VmScope, type: number, out: number): number {
  const r = resolve(vm, type);
  if (typeof r === 'number') return r;
  // A callout answer's pairs are measured as they are (copying them into a HeaderMap only to measure cost an allocation per pair).
  const size = r instanceof HeaderMap ? r.byteSize() : pairsByteSize(r);
  return vm.memory.writeU32(out, size) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
}
