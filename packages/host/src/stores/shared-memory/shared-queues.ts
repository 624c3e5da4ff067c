/**
 * SharedQueueStore over the shared log, with InMemorySharedQueues' semantics: (vm_id, name) names
 * a queue, registering again reopens it (same id) and moves the ready events to the new
 * registrant, unknown ids ⇒ NotFound, an empty queue ⇒ Empty, items come out in FIFO order from
 * any thread. As in Envoy, the ready events go to the last registrant: its thread is kept in the
 * registration record, an enqueue from another thread asks the embedder to route the event there
 * (`notifyQueueReady`), and that thread hands it to its listener with `deliverReady`.
 */
import { WasmResult } from '../../abi/constants.js';
import { utf8Encode } from '../../abi/utf8.js';
import type { QueueReadyListener, SharedQueueStore } from '../shared-queue.js';
import { LocalIndex } from './local-index.js';
import { CTL_NEXT_QUEUE, HEADER_BYTES, KIND_ITEM, KIND_ITEM_TAKEN, KIND_QUEUE, R_B, R_KIND } from './layout.js';
import type { SharedLog } from './log.js';

const EMPTY = new Uint8Array(0);

/** Routes a ready event to the thread that registered the queue (the embedder posts it there). */
export type NotifyQueueReady = (targetThreadId: number, queueId: number) => void;

export class SharedMemorySharedQueues implements SharedQueueStore {
  readonly #log: SharedLog;
  readonly #notify: NotifyQueueReady;
  /** This thread's listeners by queue id (the functions themselves cannot be shared). */
  readonly #listeners = new Map<number, QueueReadyListener>();

  constructor(log: SharedLog, notify: NotifyQueueReady) {
    this.#log = log;
    this.#notify = notify;
  }

  /**
   * Creates or reopens the queue and makes this thread's `onReady` its listener. Returns 0 (no
   * queue id is 0) when the registration record cannot fit in the log; the hostcall answers
   * InternalFailure then.
   */
  register(vmId: string, name: string, onReady: QueueReadyListener): number {
    const log = this.#log;
    const me = log.threadId;
    const vmBytes = utf8Encode(vmId);
    const nameBytes = utf8Encode(name);
    let id: number;
    log.lock();
    try {
      const existing = log.index.queueIds.get(`${vmId}\0${name}`);
      // Already ours: only the listener changes, nothing to tell the other threads.
      if (existing !== undefined && log.index.queue(existing).thread === me) id = existing;
      else {
        id = existing ?? log.take(CTL_NEXT_QUEUE);
        const off = log.append(KIND_QUEUE, id, me, vmBytes, nameBytes);
        if (off < 0) return 0;
        const prev = log.index.putQueue(id, vmId, name, me, off);
        if (prev !== undefined) log.dead(prev);
      }
    } finally {
      log.unlock();
    }
    this.#listeners.set(id, onReady);
    return id;
  }

  resolve(vmId: string, name: string): number | undefined {
    const log = this.#log;
    log.lock();
    try {
      return log.index.queueIds.get(`${vmId}\0${name}`);
    } finally {
      log.unlock();
    }
  }

  /** Appends an item and tells the registrant. InternalFailure when the item cannot fit in the log. */
  enqueue(id: number, value: Uint8Array): WasmResult {
    const log = this.#log;
    let target: number;
    log.lock();
    try {
      if (!this.#known(id)) return WasmResult.NotFound;
      const off = log.append(KIND_ITEM, id, value.length, EMPTY, EMPTY, value);
      if (off < 0) return WasmResult.InternalFailure;
      log.index.pushItem(id, off);
      target = log.index.queue(id).thread;
    } finally {
      log.unlock();
    }
    // Outside the lock: the listener or the router may well come back into the store.
    if (target === log.threadId) this.#listeners.get(id)?.(id);
    else this.#notify(target, id);
    return WasmResult.Ok;
  }

  dequeue(id: number): Uint8Array | WasmResult {
    const log = this.#log;
    log.lock();
    try {
      if (!this.#known(id)) return WasmResult.NotFound;
      const q = log.index.queue(id);
      const w = log.words;
      while (q.head < q.items.length) {
        const off = q.items[q.head]!;
        LocalIndex.advance(q);
        // Taken by another thread since we replayed it.
        if (w[(off >> 2) + R_KIND] === KIND_ITEM_TAKEN) continue;
        const value = log.copy(off + HEADER_BYTES, w[(off >> 2) + R_B]!);
        // One word store: the item is gone for every thread, no record appended (so a full log
        // never stops a dequeue).
        w[(off >> 2) + R_KIND] = KIND_ITEM_TAKEN;
        log.dead(off);
        return value;
      }
      return WasmResult.Empty;
    } finally {
      log.unlock();
    }
  }

  /** Called on the registrant's thread when the embedder routes a ready event here. */
  deliverReady(queueId: number): void {
    this.#listeners.get(queueId)?.(queueId);
  }

  #known(id: number): boolean {
    const q = this.#log.index.queues.get(id);
    return q !== undefined && q.off >= 0;
  }
}
