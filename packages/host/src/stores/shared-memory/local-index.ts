/**
 * One thread's index of the shared log: which record holds each (vm_id, key), each queue's
 * registration and pending items, each metric's definition. Every thread keeps its own (plain
 * Maps, fast, no shared hashing) and brings it up to date by replaying the records appended since
 * its last look, under the lock; after a compaction it rebuilds from scratch (SharedLog.catchUp).
 */
import { KIND_ITEM_TAKEN, R_KIND, R_LEN } from './layout.js';

export interface QueueState {
  /** Offset of the registration record in force (-1 while only items have been replayed). */
  off: number;
  /** The thread whose listener gets the ready events (the last to register). */
  thread: number;
  /** Offsets of item records in FIFO order; those before `head` are gone. */
  items: number[];
  head: number;
}

export interface MetricDef {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly off: number;
}

export class LocalIndex {
  /** vm_id → key → offset of the record with the current value. */
  readonly data = new Map<string, Map<string, number>>();
  /** `${vm_id}\0${name}` → queue id. */
  readonly queueIds = new Map<string, number>();
  readonly queues = new Map<number, QueueState>();
  /** `${type}\0${name}` → metric id. Never shrinks: metric definitions live as long as the handle. */
  readonly metricIds = new Map<string, number>();
  readonly metrics = new Map<number, MetricDef>();

  clear(): void {
    this.data.clear();
    this.queueIds.clear();
    this.queues.clear();
    // Metric ids keep their meaning across a rebuild; the definitions are replayed again anyway.
    this.metricIds.clear();
    this.metrics.clear();
  }

  /** Points (vm_id, key) at `off`; returns the offset it pointed at before, if any. */
  putData(vmId: string, key: string, off: number): number | undefined {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    const prev = m.get(key);
    m.set(key, off);
    return prev;
  }

  queue(id: number): QueueState {
    let q = this.queues.get(id);
    if (!q) this.queues.set(id, (q = { off: -1, thread: -1, items: [], head: 0 }));
    return q;
  }

  /** Records a registration; returns the offset of the one it replaces, if any. */
  putQueue(id: number, vmId: string, name: string, thread: number, off: number): number | undefined {
    this.queueIds.set(`${vmId}\0${name}`, id);
    const q = this.queue(id);
    const prev = q.off < 0 ? undefined : q.off;
    q.off = off;
    q.thread = thread;
    return prev;
  }

  pushItem(id: number, off: number): void {
    this.queue(id).items.push(off);
  }

  /** Drops the head of a queue's item list (already taken), trimming the array now and then. */
  static advance(q: QueueState): void {
    q.head++;
    if (q.head >= 64 && q.head * 2 >= q.items.length) {
      q.items.splice(0, q.head);
      q.head = 0;
    }
  }

  putMetric(id: number, type: number, name: string, off: number): void {
    this.metricIds.set(`${type}\0${name}`, id);
    this.metrics.set(id, { id, type, name, off });
  }

  /** Offsets of every live record, ascending (what a compaction keeps, in log order). */
  liveOffsets(words: Int32Array): { offsets: Int32Array; bytes: number } {
    const out: number[] = [];
    for (const m of this.data.values()) for (const off of m.values()) out.push(off);
    for (const q of this.queues.values()) {
      if (q.off >= 0) out.push(q.off);
      for (let i = q.head; i < q.items.length; i++) {
        const off = q.items[i]!;
        // Another thread may have taken items this thread has not looked at since.
        if (words[(off >> 2) + R_KIND] !== KIND_ITEM_TAKEN) out.push(off);
      }
    }
    for (const d of this.metrics.values()) out.push(d.off);
    const offsets = Int32Array.from(out).sort();
    let bytes = 0;
    for (const off of offsets) bytes += words[(off >> 2) + R_LEN]!;
    return { offsets, bytes };
  }
}
