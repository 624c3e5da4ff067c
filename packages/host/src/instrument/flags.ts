/**
 * The interrupt memory an instrumented module exports, and how the VM reads it after a trap. It
 * is one shared page, so another thread (the gateway's supervisor) can write it while the guest
 * runs; the guest reads it with atomic loads at every call and loop iteration.
 *
 *   i32 slot 0 (byte 0): interrupt request — store 1 (`Atomics.store(flags, 0, 1)`) and the guest
 *                        traps (unreachable). The guest reads only the low byte (an 8-bit atomic
 *                        load is cheaper in V8), so a request is any value whose low byte is not 0.
 *   i32 slot 1 (byte 4): set to 1 by the guest when a memory.grow of its memory 0 returned -1
 */

/** Export name of the interrupt memory of an instrumented module. */
export const INTERRUPT_EXPORT = '__wasmgate_interrupt';

/** Int32 index of the interrupt request. */
export const INTERRUPT_SLOT = 0;
/** Int32 index of the "a memory.grow was refused" flag. */
export const GROW_REFUSED_SLOT = 1;

/** 64 KiB pages as MiB, with at most two decimals. */
export function pagesToMiB(pages: number): string {
  return String(Math.round((pages / 16) * 100) / 100);
}

export interface LimitFailure {
  readonly code: 'WG_VM_DEADLINE' | 'WG_VM_MEMORY_LIMIT';
  readonly message: string;
}

/**
 * Why a guest call that threw ended, when one of the limits explains it: the interrupt flag wins
 * (the supervisor stopped the call, whatever trap that produced), then a refused memory.grow
 * (runtimes abort on it: Go prints "out of memory" and executes unreachable). Undefined otherwise.
 */
export function limitFailure(
  flags: Int32Array,
  c: { name: string; callback: string; what: string; callTimeoutMs: number | undefined; maxMemoryPages: number | undefined },
): LimitFailure | undefined {
  if ((Atomics.load(flags, INTERRUPT_SLOT) & 0xff) !== 0) {
    const limit = c.callTimeoutMs === undefined ? '' : ` of ${c.callTimeoutMs} ms`;
    return { code: 'WG_VM_DEADLINE', message: `plugin ${c.name} exceeded its call deadline${limit} in ${c.callback}` };
  }
  if (Atomics.load(flags, GROW_REFUSED_SLOT) !== 0) {
    const cap = c.maxMemoryPages === undefined ? '' : ` at ${pagesToMiB(c.maxMemoryPages)} MiB`;
    return {
      code: 'WG_VM_MEMORY_LIMIT',
      message: `plugin ${c.name} ran out of memory: linear memory is capped${cap} (wasmgate.limits.maxMemoryMiB), a memory.grow was refused, and ${c.callback} then failed: ${c.what}`,
    };
  }
  return undefined;
}
