/**
 * The worker's side of the CPU deadline: every outermost guest call writes its VM and deadline into
 * this worker's call slot (shared with the supervisor's watchdog) and clears it when it returns.
 * The watchdog, on another thread, sets the VM's interrupt flag when one call stays in too long; the
 * rewritten module traps at its next loop header or function entry (see RATIONALE, "CPU deadline").
 */
import type { CallMeter, PluginVm } from '@wasmgate/host';
import { CallSlot, type FromWorker } from '../supervisor/protocol.js';

/** The deadline a meter applies; PluginInstance switches it from start-up to per-callback. */
export interface Deadline {
  ms: number;
}

export class CallSlotWriter {
  readonly #slot: Int32Array;
  readonly #post: (m: FromWorker) => void;
  /** Outer calls (serial, deadline) suspended by a call into another VM from inside a hostcall. */
  readonly #outer: number[] = [];

  constructor(buffer: SharedArrayBuffer, post: (m: FromWorker) => void) {
    this.#slot = new Int32Array(buffer);
    this.#post = post;
  }

  /** A meter for one VM; `serial` names it to the watchdog, `plugin` is for its log line. */
  meter(serial: number, plugin: string, deadline: Deadline): CallMeter {
    const slot = this.#slot;
    const outer = this.#outer;
    let registered = false;
    return {
      enter: (vm: PluginVm) => {
        if (!registered) {
          registered = true;
          const flags = vm.interruptFlags;
          if (flags) this.#post({ type: 'vm-flags', serial, flags: flags.buffer as SharedArrayBuffer, plugin });
        }
        if (slot[CallSlot.IN_CALL] === 1) outer.push(slot[CallSlot.VM_SERIAL]!, slot[CallSlot.DEADLINE_MS]!);
        slot[CallSlot.DEADLINE_MS] = deadline.ms;
        slot[CallSlot.VM_SERIAL] = serial;
        slot[CallSlot.SEQ] = (slot[CallSlot.SEQ]! + 1) | 0;
        slot[CallSlot.IN_CALL] = 1;
      },
      exit: () => {
        if (outer.length > 0) {
          slot[CallSlot.DEADLINE_MS] = outer.pop()!;
          slot[CallSlot.VM_SERIAL] = outer.pop()!;
          slot[CallSlot.SEQ] = (slot[CallSlot.SEQ]! + 1) | 0;
          return;
        }
        slot[CallSlot.IN_CALL] = 0;
      },
    };
  }

  /** The VM is gone: the supervisor drops its flags. */
  forget(serial: number): void {
    this.#post({ type: 'vm-gone', serial });
  }
}
