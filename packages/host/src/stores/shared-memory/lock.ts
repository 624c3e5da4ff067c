/**
 * The one lock over the shared log: a futex-style mutex on an Int32 word (Drepper's "mutex 2"
 * with the owner written into the word). The word is 0 when free, else (owner threadId + 1), with
 * CONTENDED set once some thread sleeps in Atomics.wait on it; only then does release pay for an
 * Atomics.notify. Keeping the owner in the word is what lets a supervisor free the lock of a worker
 * it terminated: nothing else records who holds it, and a waiter counter beside the word could be
 * left wrong by a thread terminated while waiting.
 *
 * Critical sections are short (a Map lookup and a copy, or an append), so a contender spins briefly
 * before sleeping. The lock is not re-entrant: no listener or callback ever runs while it is held.
 */
import { CTL_LOCK, type SharedStateHandle } from './layout.js';

const CONTENDED = 1 << 30;
const OWNER = CONTENDED - 1;
const SPINS = 64;

/** The lock word's value for a thread: threadId + 1 (0 means free). */
export function ownerWord(threadId: number): number {
  if (!Number.isInteger(threadId) || threadId < 0 || threadId >= OWNER - 1) throw new RangeError(`shared state: threadId must be an integer in [0, ${OWNER - 2}], got ${threadId}`);
  return threadId + 1;
}

export function acquire(ctl: Int32Array, me: number): void {
  let v = Atomics.compareExchange(ctl, CTL_LOCK, 0, me);
  if (v === 0) return;
  if ((v & OWNER) === me) throw new Error(`shared state: thread ${me - 1} already holds the lock (re-entrant call, or a dead thread's lock was never released)`);
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(ctl, CTL_LOCK) === 0 && Atomics.compareExchange(ctl, CTL_LOCK, 0, me) === 0) return;
  }
  for (;;) {
    v = Atomics.load(ctl, CTL_LOCK);
    if (v === 0) {
      // Others may be asleep behind us: take it as contended so our release wakes one.
      if (Atomics.compareExchange(ctl, CTL_LOCK, 0, me | CONTENDED) === 0) return;
      continue;
    }
    if ((v & CONTENDED) === 0) {
      if (Atomics.compareExchange(ctl, CTL_LOCK, v, v | CONTENDED) !== v) continue;
      v |= CONTENDED;
    }
    Atomics.wait(ctl, CTL_LOCK, v);
  }
}

export function release(ctl: Int32Array): void {
  const v = Atomics.exchange(ctl, CTL_LOCK, 0);
  if ((v & CONTENDED) !== 0) Atomics.notify(ctl, CTL_LOCK, 1);
}

/**
 * Frees the lock if thread `threadId` holds it, for a supervisor whose worker died or was
 * terminated. Safe only once that thread can no longer run. The log stays consistent: every
 * change is published by one word store made last (a record by the log end, a compaction by the
 * generation), so whatever the dead thread left half-written is simply not visible.
 * Returns whether the lock was held by that thread.
 */
export function releaseLockIfHeldBy(handle: SharedStateHandle, threadId: number): boolean {
  const ctl = new Int32Array(handle.control);
  const me = ownerWord(threadId);
  for (;;) {
    const v = Atomics.load(ctl, CTL_LOCK);
    if ((v & OWNER) !== me) return false;
    if (Atomics.compareExchange(ctl, CTL_LOCK, v, 0) === v) {
      Atomics.notify(ctl, CTL_LOCK);
      return true;
    }
  }
}

/** The threadId holding the lock, or undefined when it is free (racy: for diagnostics and tests). */
export function sharedStateLockOwner(handle: SharedStateHandle): number | undefined {
  const v = Atomics.load(new Int32Array(handle.control), CTL_LOCK) & OWNER;
  return v === 0 ? undefined : v - 1;
}

/**
 * Test hook: takes the lock for `threadId` and never gives it back, to rehearse a worker that is
 * terminated inside a critical section. Never call it outside tests.
 */
export function acquireSharedStateLockForTest(handle: SharedStateHandle, threadId: number): void {
  acquire(new Int32Array(handle.control), ownerWord(threadId));
}
