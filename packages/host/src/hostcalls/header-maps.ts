/**
 * Header-map hostcalls (spec: "HTTP fields"). Maps 0–3 belong to the acting stream; 6/7 are the
 * answer of the HTTP call whose callback is running (read-only). Keys are lower-cased.
 */
import { AbiVersion, MapType, WasmResult } from '../abi/constants.js';
import { decodePairs, encodePairs, type HeaderPair } from '../abi/pairs.js';
import { utf8Encode } from '../abi/utf8.js';
import type { MapSlot } from '../context/context.js';
import { HeaderMap } from '../context/header-map.js';
import type { VmScope } from '../context/scope.js';

type Lookup = { slot: MapSlot } | { readonly: readonly HeaderPair[] } | { error: number };

function lookup(vm: VmScope, type: number): Lookup {
  type >>>= 0;
  if (type > MapType.HttpCallResponseTrailers) return { error: WasmResult.BadArgument };
  if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
    const a = vm.calloutAnswer;
    if (!a) return { error: WasmResult.BadArgument };
    return { readonly: type === MapType.HttpCallResponseHeaders ? a.headers : a.trailers };
  }
  if (type === MapType.GrpcReceiveInitialMetadata || type === MapType.GrpcReceiveTrailingMetadata) return { error: WasmResult.BadArgument };
  const ctx = vm.acting();
  const slot = ctx.headerMap(type);
  if (!slot) {
    // Envoy: a stream in on_log whose map never existed answers NotFound; elsewhere BadArgument.
    return { error: ctx.kind === 'http' && (ctx as { phase?: string }).phase === 'log' ? WasmResult.NotFound : WasmResult.BadArgument };
  }
  return { slot };
}

function firstValue(l: Lookup, key: string): string | undefined {
  if ('slot' in l) return l.slot.map.get(key);
  if ('readonly' in l) for (const [k, v] of l.readonly) if (k === key) return v;
  return undefined;
}

/** proxy_get_header_map_value(type, key_ptr, key_size, value_ptr_out, value_size_out): first value. */
export function proxyGetHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number, pOut: number, sOut: number): number {
  const key = vm.memory.string(kp, kl);
  if (key === undefined) return WasmResult.InvalidMemoryAccess;
  const l = lookup(vm, type);
  if ('error' in l) return l.error;
  const v = firstValue(l, key.toLowerCase());
  // ABI 0.1.0 (Envoy): a missing key is an empty value, not NotFound.
  if (v === undefined) return vm.abi === AbiVersion.v0_1_0 ? vm.memory.giveBytes(new Uint8Array(0), pOut, sOut) : WasmResult.NotFound;
  return vm.memory.giveBytes(utf8Encode(v), pOut, sOut);
}

/** proxy_get_header_map_pairs(type, ptr_out, size_out): pseudo headers first, duplicates kept. */
export function proxyGetHeaderMapPairs(vm: VmScope, type: number, pOut: number, sOut: number): number {
  const l = lookup(vm, type);
  if ('error' in l) {
    if (l.error === WasmResult.BadArgument && (type >>> 0) > MapType.HttpCallResponseTrailers) return l.error;
    return vm.memory.giveBytes(new Uint8Array(0), pOut, sOut);
  }
  const pairs = 'slot' in l ? l.slot.map.ordered() : l.readonly;
  return vm.memory.giveBytes(encodePairs(pairs), pOut, sOut);
}

function writableMap(vm: VmScope, type: number): HeaderMap | number {
  const l = lookup(vm, type);
  if ('error' in l) return l.error;
  if (!('slot' in l) || !l.slot.writable) return WasmResult.BadArgument;
  return l.slot.map;
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
  const key = vm.memory.string(kp, kl);
  const value = vm.memory.string(vp, vl);
  if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.add(key, value);
  return WasmResult.Ok;
}

/** proxy_replace_header_map_value(...): overwrites the first occurrence (drops the rest) or adds. */
export function proxyReplaceHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number, vp: number, vl: number): number {
  const key = vm.memory.string(kp, kl);
  const value = vm.memory.string(vp, vl);
  if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.set(key, value);
  return WasmResult.Ok;
}

/** proxy_remove_header_map_value(type, key_ptr, key_size): drops every occurrence; Ok when absent. */
export function proxyRemoveHeaderMapValue(vm: VmScope, type: number, kp: number, kl: number): number {
  const key = vm.memory.string(kp, kl);
  if (key === undefined) return WasmResult.InvalidMemoryAccess;
  const map = writableMap(vm, type);
  if (typeof map === 'number') return map;
  map.remove(key);
  return WasmResult.Ok;
}

/** proxy_get_header_map_size(type, size_out): byte size of names and values, as Envoy reports. */
export function proxyGetHeaderMapSize(vm: VmScope, type: number, out: number): number {
  const l = lookup(vm, type);
  if ('error' in l) return l.error;
  const size = 'slot' in l ? l.slot.map.byteSize() : new HeaderMap(l.readonly).byteSize();
  return vm.memory.writeU32(out, size) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
}
