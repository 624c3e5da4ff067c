/**
 * Property hostcalls (spec: "Properties"). Paths are NUL-separated segments. Lookup order for a
 * stream: values stored with set_property, then the stream's built-in attributes, then the root's
 * plugin_* attributes, then node-wide ports.
 */
import { WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';
import { encodeProperty, splitPropertyPath } from '../properties.js';

/** proxy_get_property(path_ptr, path_size, value_ptr_out, value_size_out): absent ⇒ NotFound. */
export function proxyGetProperty(vm: VmScope, pp: number, pl: number, pOut: number, sOut: number): number {
  const raw = vm.memory.string(pp, pl);
  if (raw === undefined) return WasmResult.InvalidMemoryAccess;
  const path = splitPropertyPath(raw);
  const ctx = vm.acting();
  const value = ctx.property(path) ?? ctx.root?.property(path) ?? vm.ports.property?.(path);
  if (value === undefined) return WasmResult.NotFound;
  return vm.memory.giveBytes(encodeProperty(value), pOut, sOut);
}

/** proxy_set_property(path_ptr, path_size, value_ptr, value_size): outside a stream ⇒ NotFound. */
export function proxySetProperty(vm: VmScope, pp: number, pl: number, vp: number, vl: number): number {
  const raw = vm.memory.string(pp, pl);
  const value = vm.memory.view(vp, vl);
  if (raw === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  if (raw === '') return WasmResult.BadArgument;
  return vm.acting().setProperty(splitPropertyPath(raw), value);
}
