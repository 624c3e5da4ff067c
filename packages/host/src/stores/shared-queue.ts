/**
 * Shared queues (proxy_register/resolve/enqueue/dequeue_shared_queue). A queue is named by
 * (vm_id, name); the root that registered it gets proxy_on_queue_ready when something is enqueued.
 */
import { WasmResult } from '../abi/constants.js';

export type QueueReadyListener = (queueId: number) => void;

export interface SharedQueueStore {
  /** The queue's id (never 0), or 0 when a bounded store has no room (the hostcall answers InternalFailure). */
  register(vmId: string, name: string, onReady: QueueReadyListener): number;
  resolve(vmId: string, name: string): number | undefined;
  enqueue(id: number, value: Uint8Array): WasmResult;
  dequeue(id: number): Uint8Array | WasmResult;
}

interface Queue {
  readonly items: Uint8Array[];
  onReady: QueueReadyListener;
}

export class InMemorySharedQueues implements SharedQueueStore {
  readonly #byName = new Map<string, number>();
  readonly #queues = new Map<number, Queue>();
  #nextId = 1;

  register(vmId: string, name: string, onReady: QueueReadyListener): number {
    const key = `${vmId}\0${name}`;
    const existing = this.#byName.get(key);
    if (existing !== undefined) {
      this.#queues.get(existing)!.onReady = onReady;
      return existing;
    }
    const id = this.#nextId++;
    this.#byName.set(key, id);
    this.#queues.set(id, { items: [], onReady });
    return id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.#byName.get(`${vmId}\0${name}`);
  }

  enqueue(id: number, value: Uint8Array): WasmResult {
    const q = this.#queues.get(id);
    if (!q) return WasmResult.NotFound;
    q.items.push(value.slice());
    q.onReady(id);
    return WasmResult.Ok;
  }

  dequeue(id: number): Uint8Array | WasmResult {
    const q = this.#queues.get(id);
    if (!q) return WasmResult.NotFound;
    return q.items.shift() ?? WasmResult.Empty;
  }
}
