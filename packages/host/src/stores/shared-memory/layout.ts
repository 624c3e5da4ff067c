/**
 * The shared-state handle and the byte layout every thread agrees on. The handle is a plain object
 * of SharedArrayBuffers: the supervisor creates it once and posts it to each worker (structured
 * clone keeps the buffers shared, growable ones stay growable), and each thread attaches to it.
 *
 * Data and queue items live in an append-only record log. There are two log buffers: the active
 * one takes appends, and compaction copies the live records into the other one and then flips a
 * single generation word. Copying instead of sliding records down in place costs a second buffer,
 * but a thread terminated in the middle of a compaction leaves the active log untouched, so a
 * supervisor can force-release its lock and carry on (see lock.ts).
 */

/** What a supervisor hands to every thread; structured-cloneable (postMessage, workerData). */
export interface SharedStateHandle {
  /** Int32 control words: the lock, the generation, log ends, counters (CTL_* below). */
  readonly control: SharedArrayBuffer;
  /** The two record logs (growable); generation & 1 selects the active one. */
  readonly logs: readonly [SharedArrayBuffer, SharedArrayBuffer];
  /** BigInt64 per metric id: [value or histogram sum, histogram count]. */
  readonly metricValues: SharedArrayBuffer;
  /** Int32 per metric id: 0 = not defined, else MetricType + 1. */
  readonly metricTypes: SharedArrayBuffer;
  /** Int32 per metric id and histogram bucket (HISTOGRAM_BUCKETS + the +Inf one): observation counts. */
  readonly metricBuckets?: SharedArrayBuffer;
}

export interface SharedStateOptions {
  /**
   * Most bytes the two logs may take together (default 256 MiB). Live records (data, queue items
   * not yet dequeued, queue and metric definitions, 24 bytes of header each) fit in half of it,
   * because a compaction copies them into the spare log.
   */
  readonly maxBytes?: number;
  /** Starting size of each log (default 64 KiB); logs grow by doubling. */
  readonly initialBytes?: number;
  /** How many metrics can be defined (default 4096); ids are 1..capacity. */
  readonly metricCapacity?: number;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_INITIAL_BYTES = 64 * 1024;
export const DEFAULT_METRIC_CAPACITY = 4096;
/** Histogram buckets per metric id in `metricBuckets` (stores/metrics.ts HISTOGRAM_BUCKETS and +Inf). */
export const METRIC_BUCKETS = 20;
/** Log offsets are Int32 words: keep every offset below 2^31. */
const MAX_LOG_BYTES = 1024 * 1024 * 1024;

// Control words (Int32 indices into `control`).
export const CTL_LOCK = 0;
/** Generation: bumped by each compaction; generation & 1 is the active log. */
export const CTL_GEN = 1;
/** End of the records in log 0 / log 1 (bytes); a record is visible once the end covers it. */
export const CTL_END0 = 2;
/** Bytes of live records in the active log. Only a hint for when to compact; recounted by compaction. */
export const CTL_LIVE = 4;
/** Next CAS value (u32 bit pattern; 1..0xffffffff, never 0). */
export const CTL_NEXT_CAS = 5;
export const CTL_NEXT_QUEUE = 6;
export const CTL_NEXT_METRIC = 7;
/** Statistics: compactions and grows so far. */
export const CTL_COMPACTIONS = 8;
export const CTL_GROWS = 9;
const CTL_WORDS = 16;

// Record layout: 8-byte aligned; six Int32 header words, then the payload bytes.
export const R_LEN = 0; // total bytes of the record, a multiple of 8
export const R_KIND = 1;
export const R_A = 2; // DATA: cas; QUEUE/ITEM: queue id; METRIC: metric id
export const R_B = 3; // DATA/ITEM: value length; QUEUE: registrant thread; METRIC: type
export const R_C = 4; // DATA/QUEUE: vm_id length; METRIC: name length
export const R_D = 5; // DATA: key length; QUEUE: queue name length
export const HEADER_BYTES = 24;

export const KIND_DATA = 1;
/** A queue registration: (vm_id, name) → id, and which thread gets its ready events. */
export const KIND_QUEUE = 2;
export const KIND_ITEM = 3;
/** An item already dequeued: one word store flips ITEM to this, so a dequeue appends nothing. */
export const KIND_ITEM_TAKEN = 4;
export const KIND_METRIC = 5;

/** Record size for a header plus `payload` bytes, rounded up to 8. */
export function recordBytes(payload: number): number {
  return (HEADER_BYTES + payload + 7) & ~7;
}

/** SharedArrayBuffer's ES2024 resizable form (not in the ES2023 lib this package compiles against). */
export interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  readonly maxByteLength: number;
  readonly growable: boolean;
  grow(newLength: number): void;
}

const Growable = SharedArrayBuffer as unknown as new (length: number, opts: { maxByteLength: number }) => GrowableSharedArrayBuffer;

export function asGrowable(b: SharedArrayBuffer): GrowableSharedArrayBuffer {
  const g = b as GrowableSharedArrayBuffer;
  if (g.growable !== true) throw new TypeError('shared state: the log buffers must be growable SharedArrayBuffers');
  return g;
}

function positiveInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`shared state: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** Creates the shared buffers once, in the supervisor; every thread then attaches to the same handle. */
export function createSharedStateHandle(opts: SharedStateOptions = {}): SharedStateHandle {
  const maxBytes = positiveInt('maxBytes', opts.maxBytes ?? DEFAULT_MAX_BYTES, 2048, 2 * MAX_LOG_BYTES);
  const perLog = Math.floor(maxBytes / 2) & ~7;
  const initial = Math.min(perLog, positiveInt('initialBytes', opts.initialBytes ?? DEFAULT_INITIAL_BYTES, 64, MAX_LOG_BYTES) & ~7);
  const capacity = positiveInt('metricCapacity', opts.metricCapacity ?? DEFAULT_METRIC_CAPACITY, 1, 1 << 24);
  const control = new SharedArrayBuffer(CTL_WORDS * 4);
  const ctl = new Int32Array(control);
  ctl[CTL_NEXT_CAS] = 1;
  ctl[CTL_NEXT_QUEUE] = 1;
  ctl[CTL_NEXT_METRIC] = 1;
  return {
    control,
    logs: [new Growable(initial, { maxByteLength: perLog }), new Growable(0, { maxByteLength: perLog })],
    // Index 0 is unused so that a metric id indexes directly.
    metricValues: new SharedArrayBuffer((capacity + 1) * 16),
    metricTypes: new SharedArrayBuffer((capacity + 1) * 4),
    metricBuckets: new SharedArrayBuffer((capacity + 1) * 4 * METRIC_BUCKETS),
  };
}

/** How many metric ids the handle has room for. */
export function metricCapacity(handle: SharedStateHandle): number {
  return handle.metricTypes.byteLength / 4 - 1;
}

export interface SharedStateStats {
  readonly generation: number;
  readonly compactions: number;
  readonly grows: number;
  /** Bytes appended to the active log (live and dead records). */
  readonly usedBytes: number;
  /** Live record bytes (a hint between compactions). */
  readonly liveBytes: number;
  /** Current size of the active log buffer. */
  readonly logBytes: number;
  /** Most bytes one log may hold (half of maxBytes). */
  readonly maxLogBytes: number;
  readonly metricsDefined: number;
  readonly metricCapacity: number;
}

/** A racy but cheap look at the counters (no lock): for admin pages, tests and the bench. */
export function sharedStateStats(handle: SharedStateHandle): SharedStateStats {
  const ctl = new Int32Array(handle.control);
  const gen = Atomics.load(ctl, CTL_GEN);
  const log = asGrowable(handle.logs[gen & 1]!);
  return {
    generation: gen,
    compactions: Atomics.load(ctl, CTL_COMPACTIONS),
    grows: Atomics.load(ctl, CTL_GROWS),
    usedBytes: Atomics.load(ctl, CTL_END0 + (gen & 1)),
    liveBytes: Atomics.load(ctl, CTL_LIVE),
    logBytes: log.byteLength,
    maxLogBytes: log.maxByteLength,
    metricsDefined: Atomics.load(ctl, CTL_NEXT_METRIC) - 1,
    metricCapacity: metricCapacity(handle),
  };
}
