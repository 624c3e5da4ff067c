/**
 * RESP framing for the Redis client: find where one reply ends in a byte stream, without decoding
 * it. Plugins (Higress `proxy_redis_call`) send raw RESP and read the raw reply from buffer 9, so
 * the host only has to cut the stream into whole replies — never to interpret them.
 *
 * Handles RESP2 (`+ - : $ *`, including `$-1` and `*-1`) and RESP3 (`_ , # ! = ( % ~ > |`).
 * Streamed RESP3 strings and aggregates (`$?`, `*?`) are refused: Redis never sends them.
 * @see https://redis.io/docs/latest/develop/reference/protocol-spec/
 * @module
 */

/** The byte stream is not RESP; the connection it came from can no longer be trusted. */
export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

const CR = 0x0d;
const LF = 0x0a;
/** A header line (type byte, length or simple value) longer than this is treated as garbage. */
const MAX_LINE = 64 * 1024;
/** Redis's own proto-max-bulk-len ceiling; anything bigger is a corrupt length. */
const MAX_BULK = 512 * 1024 * 1024;

const LINE_TYPES = new Set('+-:_,#('.split('').map((c) => c.charCodeAt(0)));
const BULK_TYPES = new Set('$!='.split('').map((c) => c.charCodeAt(0)));
const AGG_TYPES = new Set('*~>'.split('').map((c) => c.charCodeAt(0)));
const MAP_TYPES = new Set('%|'.split('').map((c) => c.charCodeAt(0)));
const KNOWN_TYPES = new Set([...LINE_TYPES, ...BULK_TYPES, ...AGG_TYPES, ...MAP_TYPES]);
const PUSH = '>'.charCodeAt(0);
const ATTRIBUTE = '|'.charCodeAt(0);

/** Parses the decimal length on a header line; `-1` is allowed (null). */
function parseLength(buf: Uint8Array, from: number, to: number): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
  if (!/^-?\d{1,10}$/.test(text)) throw new RespProtocolError(`bad RESP length ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < -1) throw new RespProtocolError(`bad RESP length ${n}`);
  return n;
}

/**
 * Cuts a growing byte stream into complete top-level RESP values. Feed it with {@link push}; it
 * keeps partial data and its parse position between calls, so a large reply that arrives in many
 * TCP packets costs linear time, not a rescan per packet.
 * @internal
 */
export class RespFramer {
  #buf = Buffer.alloc(0);
  /** Data lives in `#buf[#start, #end)`; `#pos` is how far the current value has been parsed. */
  #start = 0;
  #end = 0;
  #pos = 0;
  /** Children still expected by each open aggregate, innermost last. */
  #open: number[] = [];
  #topIsPush = false;

  /**
   * Adds bytes and returns every value completed by them, as copies. Top-level RESP3 push
   * messages (`>`) are not replies to a command, so they come back in `pushes`, not `values`.
   * @throws RespProtocolError when the stream is not RESP.
   */
  push(chunk: Uint8Array): { values: Uint8Array[]; pushes: Uint8Array[] } {
    this.#append(chunk);
    const values: Uint8Array[] = [];
    const pushes: Uint8Array[] = [];
    while (this.#step()) {
      if (this.#open.length > 0) continue;
      const frame = Buffer.from(this.#buf.subarray(this.#start, this.#pos));
      (this.#topIsPush ? pushes : values).push(frame);
      this.#start = this.#pos;
    }
    if (this.#start === this.#end) this.#start = this.#end = this.#pos = 0;
    return { values, pushes };
  }

  /** Bytes received that are not yet part of a complete value. */
  get pending(): number {
    return this.#end - this.#start;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#end + chunk.length;
    if (need > this.#buf.length) {
      const live = this.#end - this.#start;
      // Grow geometrically so a reply arriving in many packets is copied O(size) times in total.
      const next = live + chunk.length > this.#buf.length / 2 ? Buffer.alloc(Math.max(4096, 2 * (live + chunk.length))) : this.#buf;
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
      this.#pos -= this.#start;
      this.#end = live;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** Index of the CR of the next CRLF at or after `from`, or -1 when the line is not complete. */
  #lineEnd(from: number): number {
    const cr = this.#buf.subarray(0, this.#end).indexOf(CR, from);
    if (cr === -1 || cr + 1 >= this.#end) {
      if (this.#end - from > MAX_LINE) throw new RespProtocolError('RESP header line too long');
      return -1;
    }
    if (this.#buf[cr + 1] !== LF) throw new RespProtocolError('RESP line not terminated by CRLF');
    return cr;
  }

  /** Parses one value header (and a bulk payload) at `#pos`; false when more bytes are needed. */
  #step(): boolean {
    if (this.#pos >= this.#end) return false;
    const type = this.#buf[this.#pos] ?? 0;
    if (!KNOWN_TYPES.has(type)) {
      throw new RespProtocolError(`unknown RESP type byte 0x${type.toString(16).padStart(2, '0')}`);
    }
    if (this.#open.length === 0) this.#topIsPush = type === PUSH;
    const cr = this.#lineEnd(this.#pos + 1);
    if (cr === -1) return false;
    const body = this.#pos + 1;
    if (LINE_TYPES.has(type)) {
      this.#pos = cr + 2;
      this.#completeOne();
      return true;
    }
    if (this.#buf[body] === 0x3f /* ? */) throw new RespProtocolError('streamed RESP3 values are not supported');
    const n = parseLength(this.#buf, body, cr);
    if (BULK_TYPES.has(type)) {
      if (n > MAX_BULK) throw new RespProtocolError(`RESP bulk length ${n} too large`);
      if (n === -1) {
        this.#pos = cr + 2;
      } else {
        const stop = cr + 2 + n;
        if (stop + 2 > this.#end) return false; // payload incomplete: re-read this short header later
        if (this.#buf[stop] !== CR || this.#buf[stop + 1] !== LF) throw new RespProtocolError('RESP bulk not terminated by CRLF');
        this.#pos = stop + 2;
      }
      this.#completeOne();
      return true;
    }
    this.#pos = cr + 2;
    // A map has key+value per entry; an attribute is a map followed by the value it annotates,
    // which together take one slot in the parent.
    const children = n === -1 ? 0 : MAP_TYPES.has(type) ? 2 * n + (type === ATTRIBUTE ? 1 : 0) : n;
    if (children === 0) this.#completeOne();
    else this.#open.push(children);
    return true;
  }

  /** One value finished: count it against the innermost aggregate, closing aggregates as they fill. */
  #completeOne(): void {
    for (;;) {
      const last = this.#open.length - 1;
      if (last < 0) return;
      const left = (this.#open[last] ?? 0) - 1;
      if (left > 0) {
        this.#open[last] = left;
        return;
      }
      this.#open.pop();
    }
  }
}

/**
 * Checks that `command` is exactly one RESP array of bulk strings (the only request form Redis
 * accepts besides inline commands) and returns its arguments. Redis ignores `*0`/`*-1` without a
 * reply and closes the connection on other shapes, so anything else would desynchronise the
 * reply FIFO.
 * @returns the arguments, or a reason string when the command is not acceptable.
 */
export function parseCommand(command: Uint8Array): Buffer[] | string {
  const buf = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
  if (buf[0] !== 0x2a /* * */) return 'command must be a RESP array (start with "*")';
  const line = (from: number): number => {
    const cr = buf.indexOf(CR, from);
    return cr !== -1 && buf[cr + 1] === LF ? cr : -1;
  };
  let cr = line(1);
  if (cr === -1) return 'command array header is incomplete';
  let count: number;
  try {
    count = parseLength(buf, 1, cr);
  } catch (e) {
    return (e as Error).message;
  }
  if (count <= 0) return 'command array must have at least one element';
  const args: Buffer[] = [];
  let pos = cr + 2;
  for (let i = 0; i < count; i++) {
    if (buf[pos] !== 0x24 /* $ */) return `command element ${i} is not a bulk string`;
    cr = line(pos + 1);
    if (cr === -1) return `command element ${i} header is incomplete`;
    let len: number;
    try {
      len = parseLength(buf, pos + 1, cr);
    } catch (e) {
      return (e as Error).message;
    }
    if (len < 0 || len > MAX_BULK) return `command element ${i} has bad length ${len}`;
    const stop = cr + 2 + len;
    if (stop + 2 > buf.length || buf[stop] !== CR || buf[stop + 1] !== LF) return `command element ${i} is truncated`;
    args.push(buf.subarray(cr + 2, stop));
    pos = stop + 2;
  }
  if (pos !== buf.length) return `command has ${buf.length - pos} trailing bytes after the array`;
  return args;
}

/** Encodes `args` as a RESP array of bulk strings (used for the client's own AUTH and SELECT). */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
