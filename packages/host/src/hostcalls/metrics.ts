/**
 * Metrics hostcalls (spec: "Metrics"). Names are prefixed by nothing: the gateway exposes them as
 * Prometheus series as the plugin named them.
 */
import { WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';

/** proxy_define_metric(type, name_ptr, name_size, id_out): type > 2 ⇒ BadArgument; store full ⇒ InternalFailure. */
export function proxyDefineMetric(vm: VmScope, type: number, np: number, nl: number, idOut: number): number {
  type >>>= 0;
  if (type > 2) return WasmResult.BadArgument;
  const name = vm.memory.string(np, nl);
  if (name === undefined || !vm.memory.inBounds(idOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  if (name === '') return WasmResult.BadArgument;
  const id = vm.ports.metrics.define(type as 0 | 1 | 2, name);
  // 0 is never an id: a bounded store (the shared-memory one) is full.
  if (id === 0) return WasmResult.InternalFailure;
  vm.memory.writeU32(idOut, id);
  return WasmResult.Ok;
}

/** proxy_increment_metric(id, i64 delta): counter delta ≤ 0 ⇒ BadArgument; histogram ⇒ BadArgument. */
export function proxyIncrementMetric(vm: VmScope, id: number, delta: bigint): number {
  return vm.ports.metrics.increment(id >>> 0, BigInt.asIntN(64, BigInt(delta)));
}

/** proxy_record_metric(id, u64 value): counter add, gauge set, histogram sample. */
export function proxyRecordMetric(vm: VmScope, id: number, value: bigint): number {
  return vm.ports.metrics.record(id >>> 0, BigInt.asUintN(64, BigInt(value)));
}

/** proxy_get_metric(id, u64 out): histogram ⇒ BadArgument. */
export function proxyGetMetric(vm: VmScope, id: number, out: number): number {
  if (!vm.memory.inBounds(out >>> 0, 8)) return WasmResult.InvalidMemoryAccess;
  const r = vm.ports.metrics.get(id >>> 0);
  if (typeof r === 'number') return r;
  vm.memory.writeU64(out, r);
  return WasmResult.Ok;
}
