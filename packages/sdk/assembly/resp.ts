// RESP (Redis serialisation protocol): encode a command as an array of bulk strings; parse one reply.

export enum RespKind { SimpleString = 0, Error, Integer, Bulk, Null, Array, Invalid }

export class RespValue {
  kind: RespKind = RespKind.Null;
  /** Simple string, error message or bulk text. */
  text: string = "";
  integer: i64 = 0;
  items: RespValue[] = [];

  static error(message: string): RespValue {
    const v = new RespValue();
    v.kind = RespKind.Error;
    v.text = message;
    return v;
  }

  isError(): bool { return this.kind == RespKind.Error || this.kind == RespKind.Invalid; }
  isNull(): bool { return this.kind == RespKind.Null; }
  /** Text of a string reply, the decimal of an integer, "" otherwise. */
  asString(): string {
    if (this.kind == RespKind.Integer) return this.integer.toString();
    return this.kind == RespKind.Null ? "" : this.text;
  }
  /** An integer reply, or a string holding one. */
  asI64(): i64 {
    if (this.kind == RespKind.Integer) return this.integer;
    if (this.kind == RespKind.Bulk || this.kind == RespKind.SimpleString) return I64.parseInt(this.text);
    return 0;
  }
  asArray(): RespValue[] { return this.items; }
}

/** `*<n>\r\n` then `$<len>\r\n<arg>\r\n` per argument. */
export function encodeCommand(args: string[]): ArrayBuffer {
  let s = "*" + args.length.toString() + "\r\n";
  for (let i = 0; i < args.length; i++) {
    s += "$" + String.UTF8.byteLength(args[i]).toString() + "\r\n" + args[i] + "\r\n";
  }
  return String.UTF8.encode(s);
}

class RespReader {
  pos: i32 = 0;
  constructor(public b: Uint8Array) {}

  line(): string | null {
    const start = this.pos;
    for (let i = start; i + 1 < this.b.length; i++) {
      if (this.b[i] == 13 && this.b[i + 1] == 10) {
        this.pos = i + 2;
        return String.UTF8.decodeUnsafe(this.b.dataStart + start, i - start);
      }
    }
    return null;
  }

  read(depth: i32): RespValue {
    if (this.pos >= this.b.length || depth > 64) return invalid("truncated reply");
    const t = this.b[this.pos++];
    const l = this.line();
    if (l === null) return invalid("truncated reply");
    const v = new RespValue();
    if (t == 0x2b) { v.kind = RespKind.SimpleString; v.text = l; }
    else if (t == 0x2d) { v.kind = RespKind.Error; v.text = l; }
    else if (t == 0x3a) { v.kind = RespKind.Integer; v.integer = I64.parseInt(l); }
    else if (t == 0x24) {
      const n = I32.parseInt(l);
      if (n < 0) { v.kind = RespKind.Null; return v; }
      if (this.pos + n + 2 > this.b.length) return invalid("truncated bulk string");
      v.kind = RespKind.Bulk;
      v.text = String.UTF8.decodeUnsafe(this.b.dataStart + this.pos, n);
      this.pos += n + 2;
    } else if (t == 0x2a) {
      const n = I32.parseInt(l);
      if (n < 0) { v.kind = RespKind.Null; return v; }
      v.kind = RespKind.Array;
      for (let i = 0; i < n; i++) {
        const item = this.read(depth + 1);
        if (item.kind == RespKind.Invalid) return item;
        v.items.push(item);
      }
    } else return invalid("unknown reply type");
    return v;
  }
}

function invalid(msg: string): RespValue {
  const v = RespValue.error(msg);
  v.kind = RespKind.Invalid;
  return v;
}

/** Parses one RESP reply; malformed input gives kind Invalid (isError() true). */
export function parseResp(data: ArrayBuffer): RespValue {
  return new RespReader(Uint8Array.wrap(data)).read(0);
}
