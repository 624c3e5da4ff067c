// body-rewrite: replaces every `from` with `to` in response bodies (and, with `"request": true`, in
// request bodies) as they stream through, chunk by chunk, without buffering the whole body. A match
// split across two chunks is still replaced: the last (from.length - 1) bytes of a chunk that could
// start a match are held back and put in front of the next chunk (or sent as they are with the last
// one). The body's length changes, so content-length is removed (the body goes on chunked).
//   { "from": "wasm-go", "to": "@wasmgate/sdk", "request": false }
// Bodies the SDK treats as binary (any content-encoding such as gzip, octet-stream, gRPC) pass untouched.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, log, setCtx } from "@wasmgate/sdk";

class Config {
  from: Uint8Array = new Uint8Array(0);
  to: Uint8Array = new Uint8Array(0);
  request: bool = false;
}

/** Per-stream state: the bytes held back from the previous chunk and the replacements so far. */
class Carry {
  bytes: Uint8Array = new Uint8Array(0);
  replaced: i32 = 0;
}

function bytesOf(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function parseConfig(json: JsonValue, config: Config): string | null {
  const from = json.get("from");
  if (!from.isString() || from.asString().length == 0) return "from must be a non-empty string";
  const to = json.get("to");
  if (to.exists() && !to.isString()) return "to must be a string";
  config.from = bytesOf(from.asString());
  config.to = bytesOf(to.asString());
  const request = json.get("request");
  if (request.exists() && !request.isBool()) return "request must be true or false";
  config.request = request.asBool();
  return null;
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  if (!config.request) {
    ctx.dontReadRequestBody();
    return Action.Continue;
  }
  ctx.removeRequestHeader("content-length");
  return Action.Continue;
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  ctx.removeResponseHeader("content-length");
  return Action.Continue;
}

function matchesAt(buf: Uint8Array, i: i32, pat: Uint8Array): bool {
  for (let j = 0; j < pat.length; j++) if (buf[i + j] != pat[j]) return false;
  return true;
}

/** Rewrites one chunk of the body whose state is kept under `key` ("request" or "response"). */
function rewrite(ctx: HttpContext, key: string, config: Config, chunk: ArrayBuffer, isEnd: bool): ArrayBuffer {
  let carry = ctx.getContextObject<Carry>(key);
  if (carry === null) {
    carry = new Carry();
    ctx.setContextObject<Carry>(key, carry);
  }
  const prev = carry.bytes;
  const input = new Uint8Array(prev.length + chunk.byteLength);
  input.set(prev, 0);
  input.set(Uint8Array.wrap(chunk), prev.length);
  const from = config.from, to = config.to;
  const n = input.length, m = from.length;
  const out = new Array<u8>();
  let i = 0;
  while (i + m <= n) {
    if (matchesAt(input, i, from)) {
      for (let k = 0; k < to.length; k++) out.push(to[k]);
      carry.replaced++;
      i += m;
    } else {
      out.push(input[i]);
      i++;
    }
  }
  // Fewer than m bytes are left: they may be the start of a match that the next chunk completes.
  if (isEnd) {
    for (; i < n; i++) out.push(input[i]);
    carry.bytes = new Uint8Array(0);
  } else {
    carry.bytes = input.slice(i);
  }
  const result = new Uint8Array(out.length);
  for (let k = 0; k < out.length; k++) result[k] = out[k];
  return result.buffer;
}

function onRequestChunk(ctx: HttpContext, config: Config, chunk: ArrayBuffer, isEnd: bool): ArrayBuffer {
  return rewrite(ctx, "request", config, chunk, isEnd);
}

function onResponseChunk(ctx: HttpContext, config: Config, chunk: ArrayBuffer, isEnd: bool): ArrayBuffer {
  return rewrite(ctx, "response", config, chunk, isEnd);
}

function onStreamDone(ctx: HttpContext, config: Config): void {
  const request = ctx.getContextObject<Carry>("request");
  if (request !== null) log.info("body-rewrite: " + request.replaced.toString() + " replacement(s) in the request to " + ctx.path());
  const response = ctx.getContextObject<Carry>("response");
  if (response !== null) log.info("body-rewrite: " + response.replaced.toString() + " replacement(s) in " + ctx.path());
}

setCtx<Config>("body-rewrite", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onStreamingRequestBody: onRequestChunk,
  onResponseHeaders: onResponseHeaders,
  onStreamingResponseBody: onResponseChunk,
  onStreamDone: onStreamDone,
});
