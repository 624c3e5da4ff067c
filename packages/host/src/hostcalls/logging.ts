/**
 * Logging and time hostcalls (spec: "Logging", "Clocks", "Timers").
 */
import { LogLevel, WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';

/** proxy_log(level, message_ptr, message_size): level > 5 ⇒ BadArgument; filtered by the host level. */
export function proxyLog(vm: VmScope, level: number, ptr: number, len: number): number {
  level >>>= 0;
  if (level > 5) return WasmResult.BadArgument;
  // A line below the host's level and below warn (the level from which lines are kept for error
  // details) goes nowhere: skip decoding it. SDKs send debug lines without asking the level first,
  // so this is the common case on a quiet gateway (a filtered line costs about a third).
  if (level < LogLevel.warn && level < vm.ports.logLevel()) {
    return vm.memory.inBounds(ptr >>> 0, len >>> 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }
  const msg = vm.memory.string(ptr, len);
  if (msg === undefined) return WasmResult.InvalidMemoryAccess;
  vm.log(level as 0 | 1 | 2 | 3 | 4 | 5, msg, 'proxy_log');
  return WasmResult.Ok;
}

/** proxy_get_log_level(out u32). */
export function proxyGetLogLevel(vm: VmScope, out: number): number {
  return vm.memory.writeU32(out, vm.ports.logLevel()) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
}

/** proxy_get_current_time_nanoseconds(out u64): wall clock. */
export function proxyGetCurrentTimeNanoseconds(vm: VmScope, out: number): number {
  return vm.memory.writeU64(out, vm.ports.nowNanos()) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
}

/**
 * proxy_set_tick_period_milliseconds(ms): per root of the acting context; 0 disables. Always Ok,
 * as in Envoy: from the VM context (start-up) there is no root to tick, so it is a no-op.
 */
export function proxySetTickPeriodMilliseconds(vm: VmScope, ms: number): number {
  vm.acting().root?.setTickPeriod(ms >>> 0);
  return WasmResult.Ok;
}
