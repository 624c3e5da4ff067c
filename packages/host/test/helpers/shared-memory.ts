/**
 * Test support for the shared-memory stores: TestPorts whose shared data, queues and metrics are
 * attached to a SharedStateHandle, and a set of real worker threads attached to the same handle
 * (helpers/shared-memory-worker.ts), driven by messages. Queue ready events are routed between the
 * threads the way the gateway's supervisor does it: the enqueuing thread reports (target, id), the
 * router posts `deliver` to the target, whose listener reports back here.
 */
import { Worker } from 'node:worker_threads';
import { attachSharedState, createSharedStateHandle, type SharedStateHandle, type SharedStateOptions, type SharedStateStores } from '@wasmgate/host';
import { TestPorts } from './ports.js';

/** TestPorts backed by shared memory (thread 0 of `handle`; a fresh handle by default). */
export function sharedMemoryPorts(handle: SharedStateHandle = createSharedStateHandle(), threadId = 0): TestPorts {
  const stores = attachSharedState(handle, {
    threadId,
    notifyQueueReady: (target) => {
      throw new Error(`no thread ${target} in a single-thread test`);
    },
  });
  // The fields are readonly for users of TestPorts, not for this constructor-like helper.
  return Object.assign(new TestPorts(), { sharedData: stores.sharedData, sharedQueues: stores.sharedQueues, metrics: stores.metrics });
}

export interface ReadyEvent {
  readonly queueId: number;
  readonly thread: number;
}

interface Reply {
  readonly req?: number;
  readonly result?: unknown;
  readonly error?: string;
  readonly notify?: { target: number; queueId: number };
  readonly ready?: ReadyEvent;
}

/** Thread 0 is this (test) thread; threads 1..n are workers. */
export class SharedStateThreads {
  readonly handle: SharedStateHandle;
  readonly local: SharedStateStores;
  readonly #workers = new Map<number, Worker>();
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #ready: ReadyEvent[] = [];
  #readyWaiter: (() => void) | undefined;
  #req = 0;

  constructor(workers: number, opts: SharedStateOptions = {}) {
    this.handle = createSharedStateHandle(opts);
    this.local = attachSharedState(this.handle, { threadId: 0, notifyQueueReady: (t, id) => this.#route(t, id) });
    for (let t = 1; t <= workers; t++) this.#spawn(t);
  }

  #spawn(threadId: number): void {
    const w = new Worker(new URL('./shared-memory-worker.js', import.meta.url), { workerData: { handle: this.handle, threadId } });
    w.on('message', (m: Reply) => {
      if (m.notify) this.#route(m.notify.target, m.notify.queueId);
      else if (m.ready) this.#pushReady(m.ready);
      else if (m.req !== undefined) {
        const p = this.#pending.get(m.req);
        this.#pending.delete(m.req);
        if (m.error !== undefined) p?.reject(new Error(`thread ${threadId}: ${m.error}`));
        else p?.resolve(m.result);
      }
    });
    w.on('error', (e) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
    this.#workers.set(threadId, w);
  }

  #route(target: number, queueId: number): void {
    if (target === 0) this.local.sharedQueues.deliverReady(queueId);
    else this.#workers.get(target)?.postMessage({ req: -1, op: 'deliver', args: { queueId } });
  }

  #pushReady(e: ReadyEvent): void {
    this.#ready.push(e);
    this.#readyWaiter?.();
  }

  /** Records a ready event seen by this thread's own listener (thread 0). */
  localReady = (queueId: number): void => this.#pushReady({ queueId, thread: 0 });

  /** Runs `op` on worker `thread` and resolves with its result. */
  call<T = unknown>(thread: number, op: string, args: Record<string, unknown> = {}): Promise<T> {
    const w = this.#workers.get(thread);
    if (!w) return Promise.reject(new Error(`no worker ${thread}`));
    const req = ++this.#req;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(req, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ req, op, args });
    });
  }

  /** The next queue ready event (in arrival order), waiting for it if none has come yet. */
  async nextReady(): Promise<ReadyEvent> {
    while (this.#ready.length === 0) await new Promise<void>((r) => (this.#readyWaiter = r));
    this.#readyWaiter = undefined;
    return this.#ready.shift()!;
  }

  get readyCount(): number {
    return this.#ready.length;
  }

  /** A start gate: workers given it block until `open` (so their loops overlap). */
  static gate(): { gate: SharedArrayBuffer; open(): void } {
    const gate = new SharedArrayBuffer(4);
    return {
      gate,
      open: () => {
        Atomics.store(new Int32Array(gate), 0, 1);
        Atomics.notify(new Int32Array(gate), 0);
      },
    };
  }

  async terminate(thread: number): Promise<void> {
    const w = this.#workers.get(thread);
    this.#workers.delete(thread);
    await w?.terminate();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#workers.keys()].map((t) => this.terminate(t)));
  }
}
