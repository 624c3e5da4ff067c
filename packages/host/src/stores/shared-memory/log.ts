/**
 * One thread's access to the shared record log: the lock, catching the local index up, appending,
 * growing and compacting. Everything here runs under the lock except the constructor.
 *
 * Visibility rule (what makes a force-released lock safe): a record is written completely before
 * the log end is moved past it, and a compaction fills the spare log completely before the
 * generation word flips to it. A thread that dies half-way leaves bytes nobody can see.
 */
import { isAsciiKey, utf8Decode, utf8DecodeAt } from '../../abi/utf8.js';
import { LocalIndex } from './local-index.js';
import { acquire, ownerWord, release } from './lock.js';
import {
  asGrowable, CTL_COMPACTIONS, CTL_END0, CTL_GEN, CTL_GROWS, CTL_LIVE, CTL_NEXT_CAS, HEADER_BYTES,
  KIND_DATA, KIND_ITEM, KIND_ITEM_TAKEN, KIND_METRIC, KIND_QUEUE, R_A, R_B, R_C, R_D, R_KIND, R_LEN,
  recordBytes, type GrowableSharedArrayBuffer, type SharedStateHandle,
} from './layout.js';

const EMPTY = new Uint8Array(0);
/** A compaction sizes the new log at twice the live bytes, and never below this. */
const MIN_LOG_BYTES = 64 * 1024;

/** Strings out of shared memory: TextDecoder refuses SharedArrayBuffer views in some runtimes. */
function decodeAt(b: Uint8Array, off: number, len: number): string {
  return len < 64 && isAsciiKey(b, off, len) ? utf8DecodeAt(b, off, len) : utf8Decode(b.slice(off, off + len));
}

export class SharedLog {
  readonly index = new LocalIndex();
  readonly threadId: number;
  readonly maxLogBytes: number;
  readonly #ctl: Int32Array;
  readonly #me: number;
  readonly #bufs: readonly [GrowableSharedArrayBuffer, GrowableSharedArrayBuffer];
  // Fixed-length views, remade when the buffer has grown (by any thread). Length-tracking views
  // would follow growth by themselves, but V8 (Node 24) does not optimise element access through
  // them: a word read costs ~20 ns instead of ~1.
  readonly #bytes: [Uint8Array, Uint8Array];
  readonly #words: [Int32Array, Int32Array];
  #gen = -1;
  #cursor = 0;

  constructor(handle: SharedStateHandle, threadId: number) {
    this.threadId = threadId;
    this.#me = ownerWord(threadId);
    this.#ctl = new Int32Array(handle.control);
    this.#bufs = [asGrowable(handle.logs[0]), asGrowable(handle.logs[1])];
    this.#bytes = [new Uint8Array(0), new Uint8Array(0)];
    this.#words = [new Int32Array(0), new Int32Array(0)];
    this.maxLogBytes = this.#bufs[0].maxByteLength;
  }

  /** Views of log `i` covering its current size (which only ever grows). */
  #refresh(i: 0 | 1): void {
    const n = this.#bufs[i]!.byteLength;
    if (n === this.#bytes[i]!.length) return;
    this.#bytes[i] = new Uint8Array(this.#bufs[i]!, 0, n);
    this.#words[i] = new Int32Array(this.#bufs[i]!, 0, n >> 2);
  }

  /** Takes the lock and replays what other threads appended since this thread last looked. */
  lock(): void {
    acquire(this.#ctl, this.#me);
    try {
      this.#catchUp();
    } catch (e) {
      release(this.#ctl);
      throw e;
    }
  }

  unlock(): void {
    release(this.#ctl);
  }

  /** The active log's bytes and words (valid until the next append, which may compact). */
  get bytes(): Uint8Array {
    return this.#bytes[this.#gen & 1]!;
  }

  get words(): Int32Array {
    return this.#words[this.#gen & 1]!;
  }

  /** Allocates the next CAS value: 1..0xffffffff, wrapping to 1, never 0. */
  nextCas(): number {
    const cas = Atomics.load(this.#ctl, CTL_NEXT_CAS) >>> 0;
    Atomics.store(this.#ctl, CTL_NEXT_CAS, cas === 0xffffffff ? 1 : cas + 1);
    return cas;
  }

  /** Bumps a counter word and returns its value before (ids taken before their record: a crash leaves a hole, never a duplicate). */
  take(word: number): number {
    return Atomics.add(this.#ctl, word, 1);
  }

  peek(word: number): number {
    return Atomics.load(this.#ctl, word);
  }

  put(word: number, value: number): void {
    Atomics.store(this.#ctl, word, value);
  }

  /** Accounts a record that no longer counts (superseded value, taken item). */
  dead(off: number): void {
    Atomics.sub(this.#ctl, CTL_LIVE, this.words[(off >> 2) + R_LEN]!);
  }

  /** A copy of `len` bytes at `off` in the active log (an ordinary ArrayBuffer). */
  copy(off: number, len: number): Uint8Array {
    return len === 0 ? new Uint8Array(0) : this.bytes.slice(off, off + len);
  }

  /**
   * Appends a record: the header words, then s1, s2 and payload. Returns its offset, or -1 when it
   * cannot fit even after growing or compacting. The caller updates the index itself (it already
   * has the strings), after this call: a compaction inside rebuilds the index.
   */
  append(kind: number, a: number, b: number, s1: Uint8Array, s2: Uint8Array, payload: Uint8Array = EMPTY): number {
    const len = recordBytes(s1.length + s2.length + payload.length);
    if (!this.#reserve(len)) return -1;
    const act = this.#gen & 1;
    const end = this.#cursor;
    const w = this.#words[act]!;
    const bytes = this.#bytes[act]!;
    const h = end >> 2;
    w[h + R_LEN] = len;
    w[h + R_KIND] = kind;
    w[h + R_A] = a;
    w[h + R_B] = b;
    w[h + R_C] = s1.length;
    w[h + R_D] = s2.length;
    let p = end + HEADER_BYTES;
    bytes.set(s1, p);
    bytes.set(s2, (p += s1.length));
    bytes.set(payload, p + s2.length);
    Atomics.store(this.#ctl, CTL_END0 + act, end + len);
    Atomics.add(this.#ctl, CTL_LIVE, len);
    this.#cursor = end + len;
    return end;
  }

  #catchUp(): void {
    const gen = Atomics.load(this.#ctl, CTL_GEN);
    if (gen !== this.#gen) {
      // First look, or another thread compacted: every offset we knew is void.
      this.index.clear();
      this.#gen = gen;
      this.#cursor = 0;
    }
    const act = (gen & 1) as 0 | 1;
    const end = Atomics.load(this.#ctl, CTL_END0 + act);
    if (end > this.#bytes[act]!.length) this.#refresh(act);
    let off = this.#cursor;
    while (off < end) off += this.#apply(off);
    this.#cursor = end;
  }

  #apply(off: number): number {
    const w = this.words;
    const b = this.bytes;
    const h = off >> 2;
    const len = w[h + R_LEN]!;
    if (len < HEADER_BYTES || (len & 7) !== 0) throw new Error(`shared state: corrupt record at ${off} (length ${len})`);
    const p = off + HEADER_BYTES;
    const c = w[h + R_C]!;
    switch (w[h + R_KIND]) {
      case KIND_DATA:
        this.index.putData(decodeAt(b, p, c), decodeAt(b, p + c, w[h + R_D]!), off);
        break;
      case KIND_QUEUE:
        this.index.putQueue(w[h + R_A]!, decodeAt(b, p, c), decodeAt(b, p + c, w[h + R_D]!), w[h + R_B]!, off);
        break;
      case KIND_ITEM:
        this.index.pushItem(w[h + R_A]!, off);
        break;
      case KIND_ITEM_TAKEN:
        break;
      case KIND_METRIC:
        this.index.putMetric(w[h + R_A]!, w[h + R_B]!, decodeAt(b, p, c), off);
        break;
      default:
        throw new Error(`shared state: corrupt record at ${off} (kind ${w[h + R_KIND]})`);
    }
    return len;
  }

  /** Makes room for `len` more bytes in the active log: as is, by growing, or by compacting. */
  #reserve(len: number): boolean {
    const act = (this.#gen & 1) as 0 | 1;
    const end = this.#cursor;
    if (end + len <= this.#bytes[act]!.length) return true;
    // Another thread may have grown the log since our views were made.
    this.#refresh(act);
    const buf = this.#bufs[act]!;
    if (end + len <= buf.byteLength) return true;
    if (len > this.maxLogBytes) return false;
    // Mostly live: compacting would win little, so grow (doubling) while the cap allows.
    const live = Atomics.load(this.#ctl, CTL_LIVE);
    if (live * 2 >= end && end + len <= this.maxLogBytes) {
      buf.grow(Math.min(this.maxLogBytes, Math.max(end + len, buf.byteLength * 2, MIN_LOG_BYTES)));
      Atomics.add(this.#ctl, CTL_GROWS, 1);
      this.#refresh(act);
      return true;
    }
    return this.#compact(len);
  }

  /**
   * Copies the live records, in log order, into the spare log (grown to twice their size plus
   * `extra`), then publishes it by flipping the generation. Other threads notice the new
   * generation at their next lock and rebuild their index; this one rebuilds right away.
   */
  #compact(extra: number): boolean {
    const from = (this.#gen & 1) as 0 | 1;
    const to = (1 - from) as 0 | 1;
    const { offsets, bytes } = this.index.liveOffsets(this.#words[from]!);
    if (bytes + extra > this.maxLogBytes) return false;
    const target = this.#bufs[to]!;
    const want = Math.min(this.maxLogBytes, Math.max(2 * (bytes + extra), MIN_LOG_BYTES));
    if (target.byteLength < want) target.grow(want);
    this.#refresh(to);
    const src = this.#bytes[from]!;
    const dst = this.#bytes[to]!;
    const srcWords = this.#words[from]!;
    let out = 0;
    // Adjacent live records go over in one copy.
    for (let i = 0; i < offsets.length; ) {
      const start = offsets[i]!;
      let stop = start;
      while (i < offsets.length && offsets[i] === stop) stop += srcWords[(offsets[i++]! >> 2) + R_LEN]!;
      dst.set(src.subarray(start, stop), out);
      out += stop - start;
    }
    Atomics.store(this.#ctl, CTL_END0 + to, out);
    Atomics.store(this.#ctl, CTL_LIVE, out);
    Atomics.store(this.#ctl, CTL_GEN, (this.#gen + 1) | 0);
    Atomics.add(this.#ctl, CTL_COMPACTIONS, 1);
    this.#catchUp();
    return out + extra <= target.byteLength;
  }
}
