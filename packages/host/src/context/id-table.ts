/**
 * IdTable: a map from context ids (u32) to values that allocates nothing once it has grown to the
 * number of entries alive at once. Streams come and go on every request; a JavaScript Map or Set
 * with ever-increasing keys re-allocates its hash table every few insert/delete cycles (about
 * 110 bytes per cycle for a Map and a Set, measured on Node 24), and those tables outlive a young
 * generation collection, so they pile up in the old generation and cost full collections.
 *
 * Open addressing with linear probing; deletion shifts later entries back (no tombstones), so the
 * table never needs rehashing while its size stays put. Ids are handed out in sequence, so `id`
 * modulo the capacity spreads them evenly.
 */
export class IdTable<V> {
  #keys: Uint32Array;
  #vals: (V | undefined)[];
  #mask: number;
  #size = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.#keys = new Uint32Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === id) return v;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets `id` to `value` (which must not be undefined). */
  set(id: number, value: V): void {
    if ((this.#size + 1) * 2 > this.#vals.length) this.#grow();
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    let i = id & mask;
    for (; vals[i] !== undefined; i = (i + 1) & mask) {
      if (keys[i] === id) {
        vals[i] = value;
        return;
      }
    }
    keys[i] = id;
    vals[i] = value;
    this.#size++;
  }

  delete(id: number): boolean {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    let i = id & mask;
    for (; ; i = (i + 1) & mask) {
      if (vals[i] === undefined) return false;
      if (keys[i] === id) break;
    }
    // Backward shift: move up every later entry of the probe run whose home slot is not in (i, j].
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = keys[j]! & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      keys[i] = keys[j]!;
      vals[i] = vals[j];
      i = j;
    }
    vals[i] = undefined;
    this.#size--;
    return true;
  }

  /** The values, in slot order (not insertion order). */
  *values(): IterableIterator<V> {
    for (const v of this.#vals) if (v !== undefined) yield v;
  }

  #grow(): void {
    const keys = this.#keys;
    const vals = this.#vals;
    const cap = vals.length * 2;
    this.#keys = new Uint32Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
    this.#size = 0;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== undefined) this.set(keys[i]!, vals[i]!);
  }
}
