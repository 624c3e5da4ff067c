/**
 * The plugin's shared data (proxy_get/set_shared_data) as a test reads and seeds it: text by
 * default, scoped to the plugin's vm_id like the plugin's own view.
 * @module
 */
import { utf8Decode, utf8Encode, type SharedDataStore } from '@wasmgate/host';

/**
 * `plugin.sharedData`.
 * @example
 * plugin.sharedData.set('counter', '41'); // seed before the request
 * // … drive a stream …
 * assert.equal(plugin.sharedData.get('counter'), '42');
 */
export class SharedDataView {
  readonly #store: SharedDataStore;
  readonly #vmId: string;

  /** @internal */
  constructor(store: SharedDataStore, vmId: string) {
    this.#store = store;
    this.#vmId = vmId;
  }

  /** The value as UTF-8 text, or undefined when the key is absent. */
  get(key: string): string | undefined {
    const e = this.#store.get(this.#vmId, key);
    return e && utf8Decode(e.value);
  }

  getBytes(key: string): Uint8Array | undefined {
    return this.#store.get(this.#vmId, key)?.value.slice();
  }

  /** The key's current CAS value (changes on every write), or undefined when absent. */
  cas(key: string): number | undefined {
    return this.#store.get(this.#vmId, key)?.cas;
  }

  /** Writes unconditionally (the plugin's next CAS write with an older cas gets CasMismatch). */
  set(key: string, value: string | Uint8Array): void {
    this.#store.set(this.#vmId, key, typeof value === 'string' ? utf8Encode(value) : value, 0);
  }

  /** Every key with its text value. */
  entries(): Record<string, string> {
    return Object.fromEntries(this.#store.entries(this.#vmId).map(([k, e]) => [k, utf8Decode(e.value)]));
  }
}
