/**
 * The CPU-deadline watchdog, on the supervisor thread (which never runs plugin code, so it keeps
 * ticking while a worker spins). Every tick it reads each worker's call slot: a call whose sequence
 * number has stayed in longer than its deadline gets its VM's interrupt flag set, and the guest traps
 * at its next loop header or function entry. The worker's thread survives; only that call (and the
 * VM, which is then rebuilt) is lost. A worker that still has not left the call well after the flag
 * was set — which the rewrite should make impossible — is terminated as a last resort.
 */
import { LogLevel } from '@wasmgate/host';
import type { Logger } from '../logger.js';
import { CallSlot } from './protocol.js';

const TICK_MS = 10;
/** How long after the interrupt a worker may take to leave the call before it is terminated. */
const BACKSTOP_MS = 5000;

interface Watched {
  readonly slot: Int32Array;
  /** Interrupt flags by VM serial (index 0: interrupt, 1: grow refused). */
  readonly vms: Map<number, { flags: Int32Array; plugin: string }>;
  seq: number;
  since: number;
  interruptedAt: number | undefined;
}

export class Watchdog {
  readonly #logger: Logger;
  readonly #onStuck: (workerId: number, why: string) => void;
  readonly #workers = new Map<number, Watched>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, onStuck: (workerId: number, why: string) => void) {
    this.#logger = logger;
    this.#onStuck = onStuck;
  }

  watch(workerId: number, slot: Int32Array): void {
    this.#workers.set(workerId, { slot, vms: new Map(), seq: -1, since: 0, interruptedAt: undefined });
  }

  unwatch(workerId: number): void {
    this.#workers.delete(workerId);
  }

  register(workerId: number, serial: number, flags: Int32Array, plugin: string): void {
    this.#workers.get(workerId)?.vms.set(serial, { flags, plugin });
  }

  forget(workerId: number, serial: number): void {
    this.#workers.get(workerId)?.vms.delete(serial);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), TICK_MS);
    // The watchdog alone must not keep the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = performance.now();
    for (const [id, w] of this.#workers) {
      const slot = w.slot;
      if (slot[CallSlot.IN_CALL] !== 1) {
        w.seq = -1;
        continue;
      }
      const seq = slot[CallSlot.SEQ]!;
      if (seq !== w.seq) {
        w.seq = seq;
        w.since = now;
        w.interruptedAt = undefined;
        continue;
      }
      const deadline = slot[CallSlot.DEADLINE_MS]!;
      const elapsed = now - w.since;
      if (elapsed <= deadline) continue;
      if (w.interruptedAt === undefined) {
        w.interruptedAt = now;
        const serial = slot[CallSlot.VM_SERIAL]!;
        const vm = w.vms.get(serial);
        if (vm) {
          Atomics.store(vm.flags, 0, 1);
          this.#logger.log(LogLevel.warn, `plugin ${vm.plugin} on worker ${id} passed its ${deadline} ms call deadline; interrupting the call`, { code: 'WG_VM_DEADLINE' });
        } else {
          this.#onStuck(id, `has been inside a plugin call for ${Math.round(elapsed)} ms (deadline ${deadline} ms) and the VM cannot be interrupted`);
        }
      } else if (now - w.interruptedAt > BACKSTOP_MS) {
        w.interruptedAt = now;
        this.#onStuck(id, `is still inside a plugin call ${BACKSTOP_MS} ms after interrupting it`);
      }
    }
  }
}
