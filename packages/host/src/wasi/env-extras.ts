/**
 * `env` imports that toolchains add besides Proxy-Wasm: AssemblyScript (abort, trace, seed) and
 * Emscripten (emscripten_notify_memory_growth, pthread_equal).
 */
import { LogLevel } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';
import { GuestUnwind } from '../memory.js';

/** Reads an AssemblyScript string: UTF-16LE code units at `ptr`, byte length in the u32 at ptr-4. */
export function readAsString(vm: VmScope, ptr: number): string {
  ptr >>>= 0;
  if (ptr < 4) return '';
  const byteLen = vm.memory.readU32(ptr - 4);
  if (byteLen === undefined || byteLen > 1 << 20) return '';
  const bytes = vm.memory.view(ptr, byteLen);
  if (!bytes) return '';
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return s;
}

/** env.abort(message, file, line, column): fails the VM with the decoded message. */
export function asAbort(vm: VmScope, msg: number, file: number, line: number, col: number): never {
  const text = `abort: ${readAsString(vm, msg) || '(no message)'} at ${readAsString(vm, file) || '?'}:${line >>> 0}:${col >>> 0}`;
  vm.log(LogLevel.critical, text, 'host');
  throw new GuestUnwind(text, 'abort');
}

/** env.trace(message, n, a0…a4): an info log line. */
export function asTrace(vm: VmScope, msg: number, n: number, ...args: number[]): void {
  const values = args.slice(0, Math.max(0, Math.min(5, n >>> 0))).join(', ');
  vm.log(LogLevel.info, `trace: ${readAsString(vm, msg)}${values ? ` ${values}` : ''}`, 'host');
}

/** env.seed(): a random f64 for AssemblyScript's Math.random. */
export function asSeed(vm: VmScope): number {
  const b = new Uint8Array(8);
  vm.ports.randomBytes(b);
  return new DataView(b.buffer).getUint32(0, true) * 2 ** 20 + (new DataView(b.buffer).getUint32(4, true) & 0xfffff);
}
