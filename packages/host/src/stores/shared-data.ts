/**
 * Shared key-value data with compare-and-swap (proxy_get/set_shared_data). Scoped per vm_id, as in
 * Envoy, and survives VM rebuilds because it lives outside the VM. CAS values are global, start at 1
 * and are never 0 (0 means "unconditional" to set).
 */
import { WasmResult } from '../abi/constants.js';

export interface SharedDataEntry {
  readonly value: Uint8Array;
  readonly cas: number;
}

export interface SharedDataStore {
  get(vmId: string, key: string): SharedDataEntry | undefined;
  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult;
  /** All keys of one vm_id (for admin dumps and the harness). */
  entries(vmId: string): [string, SharedDataEntry][];
}

export class InMemorySharedData implements SharedDataStore {
  readonly #byVm = new Map<string, Map<string, SharedDataEntry>>();
  #nextCas = 1;

  get(vmId: string, key: string): SharedDataEntry | undefined {
    return this.#byVm.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let m = this.#byVm.get(vmId);
    if (!m) this.#byVm.set(vmId, (m = new Map()));
    const cur = m.get(key);
    if (cur && cas !== 0 && cur.cas !== cas) return WasmResult.CasMismatch;
    m.set(key, { value: value.slice(), cas: this.#nextCas++ });
    if (this.#nextCas > 0xffffffff) this.#nextCas = 1;
    return WasmResult.Ok;
  }

  entries(vmId: string): [string, SharedDataEntry][] {
    return [...(this.#byVm.get(vmId) ?? new Map<string, SharedDataEntry>()).entries()];
  }
}
