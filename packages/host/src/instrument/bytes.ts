/**
 * Reading and writing the Wasm binary format: a bounds-checked reader of bytes and LEB128 numbers,
 * and a growable writer. The rewriter copies most of a module verbatim, so the writer takes whole
 * byte ranges (`subarray`s of the input) as well as single numbers.
 */

/** A module the rewriter cannot decode: truncated, malformed, or an opcode it does not know. */
export class DecodeError extends Error {
  /** Byte offset in the module where decoding stopped. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  /** Reading at or past `end` is an error: a section or function body must not run over its size. */
  end: number;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new DecodeError('unexpected end of data', this.pos);
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 32 bits (indices, counts, sizes). */
  u32(): number {
    // Most indices and sizes fit in one byte.
    const first = this.bytes[this.pos];
    if (first !== undefined && first < 0x80 && this.pos < this.end) {
      this.pos++;
      return first;
    }
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError('u32 LEB128 out of range', start);
        return result;
      }
    }
    throw new DecodeError('u32 LEB128 longer than 5 bytes', start);
  }

  /**
   * A signed LEB128 of at most 33 bits: block types and heap types, where a negative one-byte
   * value is a type constant (0x40 empty, 0x7f i32 …) and a non-negative one is a type index.
   */
  s33(): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 2 ** shift;
        return result;
      }
      if (shift >= 35) throw new DecodeError('s33 LEB128 longer than 5 bytes', start);
    }
  }

  /** Any LEB128 (up to 64 bits) whose value the rewriter does not need: constants, offsets. */
  skipLeb(): void {
    if (this.pos < this.end && this.bytes[this.pos]! < 0x80) {
      this.pos++;
      return;
    }
    const start = this.pos;
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    throw new DecodeError('LEB128 longer than 10 bytes', start);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError('unexpected end of data', this.pos);
    this.pos += n;
  }
}

/** Appends bytes to a buffer that doubles as needed. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): this {
    this.#room(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  u32(value: number): this {
    do {
      let b = value & 0x7f;
      value = Math.floor(value / 128);
      if (value !== 0) b |= 0x80;
      this.byte(b);
    } while (value !== 0);
    return this;
  }

  /** A name: its UTF-8 length, then the bytes. */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** The bytes written so far, sized to fit (copied only when the buffer is larger). */
  finish(): Uint8Array {
    return this.#len === this.#buf.length ? this.#buf : this.#buf.slice(0, this.#len);
  }

  /** The bytes written so far, without a copy: valid until the next write. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** The LEB128 encoding of an unsigned number, for the few places that need it as bytes. */
export function u32Bytes(value: number): Uint8Array {
  return new ByteWriter(8).u32(value).finish();
}
