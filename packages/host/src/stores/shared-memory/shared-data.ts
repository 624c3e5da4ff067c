/**
 * SharedDataStore over the shared log: the same semantics as InMemorySharedData (per-vm_id keys,
 * one CAS sequence for the whole process, starting at 1 and never 0, cas 0 = unconditional, an
 * absent key takes any cas), visible to every thread that attached to the handle.
 */
import { WasmResult } from '../../abi/constants.js';
import { utf8Encode } from '../../abi/utf8.js';
import type { SharedDataEntry, SharedDataStore } from '../shared-data.js';
import { HEADER_BYTES, KIND_DATA, R_A, R_B, R_C, R_D } from './layout.js';
import type { SharedLog } from './log.js';

export class SharedMemorySharedData implements SharedDataStore {
  readonly #log: SharedLog;
  // vm_ids repeat call after call: keep the last one's bytes.
  #vmId = '';
  #vmIdBytes: Uint8Array = new Uint8Array(0);

  constructor(log: SharedLog) {
    this.#log = log;
  }

  get(vmId: string, key: string): SharedDataEntry | undefined {
    const log = this.#log;
    log.lock();
    try {
      const off = log.index.data.get(vmId)?.get(key);
      return off === undefined ? undefined : this.#entry(off);
    } finally {
      log.unlock();
    }
  }

  /**
   * Sets a value. Beyond today's results: InternalFailure when the record cannot fit (the live
   * data would exceed half of the handle's maxBytes); the old value stays.
   */
  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    const log = this.#log;
    const vmBytes = this.#encodeVmId(vmId);
    const keyBytes = utf8Encode(key);
    log.lock();
    try {
      const cur = log.index.data.get(vmId)?.get(key);
      if (cur !== undefined && cas !== 0 && log.words[(cur >> 2) + R_A]! >>> 0 !== cas) return WasmResult.CasMismatch;
      const off = log.append(KIND_DATA, log.nextCas() | 0, value.length, vmBytes, keyBytes, value);
      if (off < 0) return WasmResult.InternalFailure;
      // Looked up again: the append may have compacted, moving the old record.
      const prev = log.index.putData(vmId, key, off);
      if (prev !== undefined) log.dead(prev);
      return WasmResult.Ok;
    } finally {
      log.unlock();
    }
  }

  entries(vmId: string): [string, SharedDataEntry][] {
    const log = this.#log;
    log.lock();
    try {
      return [...(log.index.data.get(vmId) ?? new Map<string, number>())].map(([k, off]) => [k, this.#entry(off)]);
    } finally {
      log.unlock();
    }
  }

  /** Copies a record's value out (under the lock: the bytes may move at the next compaction). */
  #entry(off: number): SharedDataEntry {
    const w = this.#log.words;
    const h = off >> 2;
    const at = off + HEADER_BYTES + w[h + R_C]! + w[h + R_D]!;
    return { value: this.#log.copy(at, w[h + R_B]!), cas: w[h + R_A]! >>> 0 };
  }

  #encodeVmId(vmId: string): Uint8Array {
    if (vmId !== this.#vmId) {
      this.#vmIdBytes = utf8Encode(vmId);
      this.#vmId = vmId;
    }
    return this.#vmIdBytes;
  }
}
