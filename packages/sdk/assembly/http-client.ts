// ClusterClient: HTTP callouts (proxy_http_call). AssemblyScript has no closures, so the SDK remembers
// which stream made each call (by token) and, when the answer arrives at the root, makes that stream
// the effective context and calls the callback with its HttpContext. The callback then resumes the
// request (ctx.resumeHttpRequest()) or answers it (ctx.sendHttpResponse()). A call made outside a stream
// (from a tick function) gets a detached HttpContext whose inStream() is false.

import { Cluster } from "./cluster";
import { BufferType, getHeaders, getWholeBuffer, MapType, setEffectiveContext, Status } from "./host";
import { HttpContext } from "./http-context";
import * as abi from "./imports";
import { log } from "./log";
import { OUT_WORD, ptrOf, utf8 } from "./memory";
import { emptyPairs, encodePairs } from "./pairs";
import { currentRoot, currentStream, setCurrent, streams } from "./state";
import { parseUrl } from "./url";

/** Status, response headers (`[name, value]`, `:status` included) and body of a callout. */
export type HttpCallback = (ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer) => void;

class PendingCall {
  constructor(public streamId: u32, public rootId: u32, public callback: HttpCallback) {}
}

const pending = new Map<u32, PendingCall>();

export class ClusterClient {
  constructor(public cluster: Cluster) {}

  get(url: string, headers: string[][], callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("GET", url, headers, new ArrayBuffer(0), callback, timeoutMs);
  }
  head(url: string, headers: string[][], callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("HEAD", url, headers, new ArrayBuffer(0), callback, timeoutMs);
  }
  options(url: string, headers: string[][], callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("OPTIONS", url, headers, new ArrayBuffer(0), callback, timeoutMs);
  }
  delete(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("DELETE", url, headers, body, callback, timeoutMs);
  }
  post(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("POST", url, headers, body, callback, timeoutMs);
  }
  put(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("PUT", url, headers, body, callback, timeoutMs);
  }
  patch(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("PATCH", url, headers, body, callback, timeoutMs);
  }

  connect(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("CONNECT", url, headers, body, callback, timeoutMs);
  }
  trace(url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    return this.call("TRACE", url, headers, body, callback, timeoutMs);
  }

  /**
   * Sends the call; returns its token, or 0 when the host refused it (unknown cluster, bad headers), after
   * an error log. On 0 the callback never runs: do not pause the stream.
   */
  call(method: string, url: string, headers: string[][], body: ArrayBuffer, callback: HttpCallback, timeoutMs: u32 = 500): u32 {
    const u = parseUrl(url);
    const all = new Array<string[]>();
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      // As wasm-go: the SDK sets these three itself; other pseudo-headers (":scheme") pass.
      if (h.length < 2 || h[0] == ":method" || h[0] == ":path" || h[0] == ":authority") continue;
      all.push([h[0], h[1]]);
    }
    let authority = u.host;
    if (authority.length == 0) authority = this.cluster.hostName();
    if (authority.length == 0) authority = "unknownhost";
    all.push([":method", method]);
    all.push([":path", u.path]);
    all.push([":authority", authority]);
    const name = utf8(this.cluster.clusterName());
    const hdrs = encodePairs(all);
    const trailers = emptyPairs();
    store<u32>(OUT_WORD, 0);
    const status = abi.proxy_http_call(ptrOf(name), name.byteLength, ptrOf(hdrs), hdrs.byteLength, ptrOf(body), body.byteLength,
      changetype<usize>(trailers), trailers.byteLength, timeoutMs, OUT_WORD);
    if (status != Status.Ok) {
      log.error("http call failed, status: " + status.toString() + ", cluster: " + this.cluster.clusterName());
      return 0;
    }
    const token = load<u32>(OUT_WORD);
    const s = currentStream();
    pending.set(token, new PendingCall(s !== null ? s.id : 0, currentRoot(), callback));
    return token;
  }
}

/** @internal proxy_on_http_call_response. */
export function onHttpCallResponse(rootId: u32, token: u32, numHeaders: u32, bodySize: u32): void {
  if (!pending.has(token)) return;
  const call = pending.get(token);
  pending.delete(token);
  let ctx: HttpContext;
  if (call.streamId != 0) {
    if (!streams.has(call.streamId)) return; // the stream ended while the call was out
    ctx = streams.get(call.streamId);
    setEffectiveContext(call.streamId);
  } else {
    ctx = new HttpContext(0, rootId);
  }
  const headers = numHeaders > 0 ? getHeaders(MapType.HttpCallResponseHeaders) : new Array<string[]>();
  const b = bodySize > 0 ? getWholeBuffer(BufferType.HttpCallResponseBody) : null;
  let status = 502;
  for (let i = 0; i < headers.length; i++) {
    if (headers[i][0] == ":status") { status = I32.parseInt(headers[i][1]); break; }
  }
  setCurrent(ctx.inStream() ? ctx : null, ctx.rootId);
  call.callback(ctx, status, headers, b !== null ? b : new ArrayBuffer(0));
  setCurrent(null, 0);
}
