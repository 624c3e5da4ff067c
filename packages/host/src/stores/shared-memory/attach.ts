/**
 * Attaching one thread to the shared state: the three stores a HostPorts needs, backed by the
 * handle's shared memory. Each thread attaches once, with a threadId unique among the live threads
 * (the supervisor's own is usually 0); the stores of one attachment must be used from that thread
 * only.
 */
import type { MetricStore } from '../metrics.js';
import type { SharedDataStore } from '../shared-data.js';
import type { SharedQueueStore } from '../shared-queue.js';
import type { SharedStateHandle } from './layout.js';
import { SharedLog } from './log.js';
import { SharedMemoryMetrics } from './metrics.js';
import { SharedMemorySharedData } from './shared-data.js';
import { SharedMemorySharedQueues, type NotifyQueueReady } from './shared-queues.js';

export interface SharedStateAttachOptions {
  /** This thread's id: what the lock word records and what `notifyQueueReady` is given as a target. */
  readonly threadId: number;
  /**
   * Called (on the enqueuing thread, outside the lock) when a queue registered by another thread
   * gets an item: the embedder must make `targetThreadId` call `sharedQueues.deliverReady(queueId)`.
   */
  notifyQueueReady(targetThreadId: number, queueId: number): void;
}

export interface SharedStateStores {
  readonly sharedData: SharedDataStore;
  readonly sharedQueues: SharedQueueStore & { deliverReady(queueId: number): void };
  readonly metrics: MetricStore;
}

export function attachSharedState(handle: SharedStateHandle, opts: SharedStateAttachOptions): SharedStateStores {
  const log = new SharedLog(handle, opts.threadId);
  const notify: NotifyQueueReady = (target, id) => opts.notifyQueueReady(target, id);
  return {
    sharedData: new SharedMemorySharedData(log),
    sharedQueues: new SharedMemorySharedQueues(log, notify),
    metrics: new SharedMemoryMetrics(log, handle),
  };
}
