// A small JSON reader for plugin configuration, shaped like gjson: a missing key gives a value whose
// exists() is false (never null), so `cfg.get("a").get("b").asString("x")` needs no null checks.
// Parsing builds a tree once; configuration is parsed once per configure, so that is cheap enough.

export enum JsonKind { Missing = 0, Null, Bool, Number, String, Array, Object }

export class JsonValue {
  kind: JsonKind = JsonKind.Missing;
  /** The string for String, the number's source text for Number. */
  text: string = "";
  flag: bool = false;
  items: JsonValue[] | null = null;
  names: string[] | null = null;
  /** Set on the value parse() returns when the text is not JSON: message with the byte position. */
  error: string | null = null;

  /** Parses JSON text; on malformed input returns a missing value whose `error` says what and where. */
  static parse(text: string): JsonValue {
    const p = new JsonParser(text);
    p.skipSpace();
    const v = p.value();
    if (p.err === null) {
      p.skipSpace();
      if (p.pos < text.length) p.fail("unexpected data after the JSON value");
    }
    if (p.err !== null) {
      const bad = new JsonValue();
      bad.error = p.err;
      return bad;
    }
    return v;
  }

  static missing(): JsonValue { return new JsonValue(); }

  static fromString(s: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.text = s;
    return v;
  }

  exists(): bool { return this.kind != JsonKind.Missing; }
  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** A member by key, or a dotted path (`"a.b.0"`: object keys, array indexes). Missing ⇒ !exists(). */
  get(path: string): JsonValue {
    const direct = this.member(path);
    if (direct.exists() || path.indexOf(".") < 0) return direct;
    let cur: JsonValue = this;
    const parts = path.split(".");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (cur.kind == JsonKind.Array) {
        const idx = I32.parseInt(part);
        const items = cur.items!;
        if (part.length == 0 || idx < 0 || idx >= items.length || idx.toString() != part) return new JsonValue();
        cur = items[idx];
      } else {
        cur = cur.member(part);
      }
      if (!cur.exists()) return cur;
    }
    return cur;
  }

  /** An object member by exact key (no path splitting). */
  member(key: string): JsonValue {
    if (this.kind != JsonKind.Object) return new JsonValue();
    const names = this.names!;
    // Last duplicate wins, as encoding/json does.
    for (let i = names.length - 1; i >= 0; i--) if (names[i] == key) return this.items![i];
    return new JsonValue();
  }

  /** Object keys in document order ([] for non-objects). */
  keys(): string[] {
    return this.kind == JsonKind.Object ? this.names!.slice(0) : [];
  }

  /** Object member values in key order, or array items ([] otherwise). */
  values(): JsonValue[] {
    return this.kind == JsonKind.Object || this.kind == JsonKind.Array ? this.items!.slice(0) : [];
  }

  asArray(): JsonValue[] {
    return this.kind == JsonKind.Array ? this.items!.slice(0) : [];
  }

  /** Strings as is; numbers and booleans as their text; null/missing ⇒ def; objects/arrays ⇒ JSON. */
  asString(def: string = ""): string {
    switch (this.kind) {
      case JsonKind.String: return this.text;
      case JsonKind.Number: return this.text;
      case JsonKind.Bool: return this.flag ? "true" : "false";
      case JsonKind.Array:
      case JsonKind.Object: return this.toString();
      default: return def;
    }
  }

  asF64(def: f64 = 0): f64 {
    if (this.kind == JsonKind.Number || this.kind == JsonKind.String) {
      const n = F64.parseFloat(this.text);
      return isNaN(n) ? def : n;
    }
    if (this.kind == JsonKind.Bool) return this.flag ? 1 : 0;
    return def;
  }

  asI64(def: i64 = 0): i64 {
    if (this.kind == JsonKind.Number || this.kind == JsonKind.String) {
      const t = this.text;
      if (t.length == 0) return def;
      if (t.indexOf(".") >= 0 || t.indexOf("e") >= 0 || t.indexOf("E") >= 0) {
        const n = F64.parseFloat(t);
        return isNaN(n) ? def : <i64>n;
      }
      const c = t.charCodeAt(0);
      if (c != 45 && (c < 48 || c > 57)) return def;
      return I64.parseInt(t, 10);
    }
    if (this.kind == JsonKind.Bool) return this.flag ? 1 : 0;
    return def;
  }

  asI32(def: i32 = 0): i32 { return <i32>this.asI64(<i64>def); }

  /** true/false; the strings "true"/"1" and non-zero numbers are true, like gjson. */
  asBool(def: bool = false): bool {
    switch (this.kind) {
      case JsonKind.Bool: return this.flag;
      case JsonKind.Number: return this.asF64() != 0;
      case JsonKind.String: return this.text == "true" || this.text == "1";
      default: return def;
    }
  }

  /** Compact JSON text of the value ("" for a missing value). */
  toString(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return this.flag ? "true" : "false";
      case JsonKind.Number: return this.text;
      case JsonKind.String: return jsonQuote(this.text);
      case JsonKind.Array: {
        const items = this.items!;
        const parts = new Array<string>(items.length);
        for (let i = 0; i < items.length; i++) parts[i] = items[i].toString();
        return "[" + parts.join(",") + "]";
      }
      case JsonKind.Object: {
        const items = this.items!, names = this.names!;
        const parts = new Array<string>(items.length);
        for (let i = 0; i < items.length; i++) parts[i] = jsonQuote(names[i]) + ":" + items[i].toString();
        return "{" + parts.join(",") + "}";
      }
      default: return "";
    }
  }
}

/** A JSON string literal for `s` (quotes, backslashes and control characters escaped). */
export function jsonQuote(s: string): string {
  let out = "\"";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(from, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u" + c.toString(16).padStart(4, "0");
    from = i + 1;
  }
  return out + s.substring(from) + "\"";
}

class JsonParser {
  pos: i32 = 0;
  err: string | null = null;
  depth: i32 = 0;
  constructor(public src: string) {}

  fail(msg: string): void {
    if (this.err === null) this.err = msg + " at position " + this.pos.toString();
  }

  skipSpace(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  value(): JsonValue {
    const v = new JsonValue();
    if (this.err !== null) return v;
    const s = this.src;
    if (this.pos >= s.length) { this.fail("unexpected end of JSON"); return v; }
    const c = s.charCodeAt(this.pos);
    if (c == 0x7b) this.object(v);
    else if (c == 0x5b) this.array(v);
    else if (c == 0x22) { v.kind = JsonKind.String; v.text = this.string(); }
    else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) this.number(v);
    else if (this.word("true")) { v.kind = JsonKind.Bool; v.flag = true; }
    else if (this.word("false")) { v.kind = JsonKind.Bool; v.flag = false; }
    else if (this.word("null")) { v.kind = JsonKind.Null; }
    else this.fail("unexpected character '" + String.fromCharCode(c) + "'");
    return v;
  }

  word(w: string): bool {
    if (this.src.substr(this.pos, w.length) == w) { this.pos += w.length; return true; }
    return false;
  }

  object(v: JsonValue): void {
    if (++this.depth > 512) { this.fail("JSON nested too deeply"); return; }
    v.kind = JsonKind.Object;
    const names = new Array<string>(), items = new Array<JsonValue>();
    v.names = names; v.items = items;
    this.pos++; // {
    this.skipSpace();
    if (this.peek() == 0x7d) { this.pos++; this.depth--; return; }
    while (this.err === null) {
      this.skipSpace();
      if (this.peek() != 0x22) { this.fail("expected a string key"); return; }
      const key = this.string();
      this.skipSpace();
      if (this.peek() != 0x3a) { this.fail("expected ':'"); return; }
      this.pos++;
      this.skipSpace();
      const item = this.value();
      names.push(key); items.push(item);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; this.depth--; return; }
      this.fail("expected ',' or '}'");
    }
  }

  array(v: JsonValue): void {
    if (++this.depth > 512) { this.fail("JSON nested too deeply"); return; }
    v.kind = JsonKind.Array;
    const items = new Array<JsonValue>();
    v.items = items;
    this.pos++; // [
    this.skipSpace();
    if (this.peek() == 0x5d) { this.pos++; this.depth--; return; }
    while (this.err === null) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; this.depth--; return; }
      this.fail("expected ',' or ']'");
    }
  }

  peek(): i32 {
    return this.pos < this.src.length ? this.src.charCodeAt(this.pos) : -1;
  }

  number(v: JsonValue): void {
    const s = this.src;
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    const digits = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) this.pos++;
      else break;
    }
    if (this.pos == digits) { this.fail("invalid number"); return; }
    v.kind = JsonKind.Number;
    v.text = s.substring(start, this.pos);
    if (isNaN(F64.parseFloat(v.text))) this.fail("invalid number");
  }

  string(): string {
    const s = this.src;
    this.pos++; // opening quote
    let out = "";
    let from = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(from, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return out; }
      if (c == 0x5c) {
        out += s.substring(from, this.pos);
        this.pos++;
        if (this.pos >= s.length) break;
        const e = s.charCodeAt(this.pos);
        if (e == 0x6e) out += "\n";
        else if (e == 0x74) out += "\t";
        else if (e == 0x72) out += "\r";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x2f) out += "/";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x22) out += "\"";
        else if (e == 0x75) {
          const hex = s.substr(this.pos + 1, 4);
          const code = I32.parseInt(hex, 16);
          if (hex.length != 4 || isNaN(<f64>F64.parseInt(hex, 16))) { this.fail("invalid \\u escape"); return out; }
          out += String.fromCharCode(code);
          this.pos += 4;
        } else { this.fail("invalid escape"); return out; }
        this.pos++;
        from = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return out;
  }
}
