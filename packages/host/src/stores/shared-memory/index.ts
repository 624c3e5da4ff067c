/** Process-wide plugin state across worker threads, on SharedArrayBuffer and Atomics. */
export {
  createSharedStateHandle, sharedStateStats, type SharedStateHandle, type SharedStateOptions, type SharedStateStats,
} from './layout.js';
export { attachSharedState, type SharedStateAttachOptions, type SharedStateStores } from './attach.js';
export { releaseLockIfHeldBy, sharedStateLockOwner, acquireSharedStateLockForTest } from './lock.js';
export { SharedMemorySharedData } from './shared-data.js';
export { SharedMemorySharedQueues, type NotifyQueueReady } from './shared-queues.js';
export { SharedMemoryMetrics } from './metrics.js';
