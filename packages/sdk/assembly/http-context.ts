// HttpContext: one HTTP stream as a plugin sees it, with wasm-go's HttpContext methods.
// Pseudo-headers are cached at request headers because Envoy drops the header maps once they pass.

import { ABI_0_2_1 } from "./abi";
import {
  addHeader, BufferType, continueStream, getBuffer, getHeader, getHeaders, getPropertyString, getProperty,
  getWholeBuffer, MapType, removeHeader, replaceHeader, sendLocalResponse, setBuffer, setHeaders, setProperty,
} from "./host";
import { JsonValue, jsonQuote } from "./json";
import { log } from "./log";
import { utf8 } from "./memory";
import { parseUrl } from "./url";

/** wasm-go's RouteCall response callback. */
export type RouteCallback = (ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer) => void;

/** `rule` before matching / when nothing matched: the plugin sits the stream out. */
export const NOT_MATCHED: i32 = -2;
/** `rule` when the global configuration applies. */
export const GLOBAL_RULE: i32 = -1;

export class HttpContext {
  /** The stream's context id; 0 for the detached context given to callouts made outside a stream. */
  id: u32;
  /** @internal the root context id. */
  rootId: u32;
  /** @internal matched rule index, GLOBAL_RULE, or NOT_MATCHED. */
  rule: i32 = NOT_MATCHED;

  scheme_: string = "";
  host_: string = "";
  path_: string = "";
  method_: string = "";
  contentType: string = "";
  contentEncoding: string = "";
  connection: string = "";
  upgrade: string = "";

  /** @internal body handling state (wasm-go's needRequestBody & co). */
  needRequestBody: bool = false;
  needResponseBody: bool = false;
  streamingRequestBody: bool = false;
  streamingResponseBody: bool = false;
  requestBodySize: usize = 0;
  responseBodySize: usize = 0;
  inRequestBody: bool = false;
  routeCallback: RouteCallback | null = null;
  requestHeadersEnd: bool = false;
  responseHeadersEnd: bool = false;
  responseContentType: string = "";
  responseContentEncoding: string = "";
  done: bool = false;

  userContext: Map<string, string> = new Map();
  userObjects: Map<string, Object> = new Map();
  userAttrKeys: string[] = [];
  /** Attribute values as JSON text. */
  userAttrValues: string[] = [];

  constructor(id: u32, rootId: u32) {
    this.id = id;
    this.rootId = rootId;
  }

  /** False for the detached context of a callout made outside a stream (a tick): no stream to act on. */
  inStream(): bool { return this.id != 0; }

  // --- request facts cached at request headers ---
  scheme(): string { return this.scheme_; }
  /** The `:authority` as sent (port kept, as wasm-go's Host()). */
  host(): string { return this.host_; }
  path(): string { return this.path_; }
  method(): string { return this.method_; }
  /** Index of the `_rules_` entry that matched, -1 for the global config. */
  ruleIndex(): i32 { return this.rule; }

  // --- per-stream values shared between callbacks ---
  setContext(key: string, value: string): void { this.userContext.set(key, value); }
  getContext(key: string): string | null {
    return this.userContext.has(key) ? this.userContext.get(key) : null;
  }
  /** Any managed object (a class instance); read it back with the same T. */
  setContextObject<T>(key: string, value: T): void { this.userObjects.set(key, changetype<Object>(value)); }
  getContextObject<T>(key: string): T | null {
    return this.userObjects.has(key) ? changetype<T>(this.userObjects.get(key)) : null;
  }

  // --- body control ---
  /** Switch a streaming handler to buffered mode for this stream (wasm-go BufferRequestBody). */
  bufferRequestBody(): void { this.streamingRequestBody = false; }
  bufferResponseBody(): void { this.streamingResponseBody = false; }
  dontReadRequestBody(): void { this.needRequestBody = false; }
  dontReadResponseBody(): void { this.needResponseBody = false; }
  /** False when the request headers ended the stream (no body follows). */
  hasRequestBody(): bool { return !this.requestHeadersEnd; }
  hasResponseBody(): bool { return !this.responseHeadersEnd; }
  /** `connection: upgrade` and `upgrade: websocket` (case-insensitive), from the cached headers. */
  isWebsocket(): bool {
    return this.connection.toLowerCase() == "upgrade" && this.upgrade.toLowerCase() == "websocket";
  }
  isBinaryRequestBody(): bool {
    return isBinaryBody(this.contentType, this.contentEncoding);
  }
  isBinaryResponseBody(): bool {
    return isBinaryBody(this.responseContentType, this.responseContentEncoding);
  }
  setRequestBodyBufferLimit(bytes: u32): void { setProperty(["set_decoder_buffer_limit"], utf8(bytes.toString())); }
  setResponseBodyBufferLimit(bytes: u32): void { setProperty(["set_encoder_buffer_limit"], utf8(bytes.toString())); }
  /** Header edits no longer re-route the request (property clear_route_cache = off). */
  disableReroute(): void { setProperty(["clear_route_cache"], utf8("off")); }

  // --- user attributes (access log, trace) ---
  setUserAttribute(key: string, value: string): void { this.setUserAttributeJson(key, jsonQuote(value)); }
  setUserAttributeNumber(key: string, value: f64): void {
    this.setUserAttributeJson(key, value == Math.floor(value) && Math.abs(value) < 1e15 ? (<i64>value).toString() : value.toString());
  }
  /** An attribute whose value is already JSON text (an object, a number…). */
  setUserAttributeJson(key: string, json: string): void {
    for (let i = 0; i < this.userAttrKeys.length; i++) {
      if (this.userAttrKeys[i] == key) { this.userAttrValues[i] = json; return; }
    }
    this.userAttrKeys.push(key);
    this.userAttrValues.push(json);
  }
  getUserAttribute(key: string): string | null {
    for (let i = 0; i < this.userAttrKeys.length; i++) {
      if (this.userAttrKeys[i] == key) return JsonValue.parse(this.userAttrValues[i]).asString();
    }
    return null;
  }
  /** Merges the attributes into property `custom_log` (a JSON object, stored escaped as a JSON string body). */
  writeUserAttributeToLog(): void { this.writeUserAttributeToLogWithKey("custom_log"); }
  writeUserAttributeToLogWithKey(key: string): void {
    const prev = getPropertyString([key]);
    const names = new Array<string>(), values = new Array<string>();
    if (prev !== null && prev.length > 0) {
      const obj = JsonValue.parse(JsonValue.parse("\"" + prev + "\"").asString());
      const keys = obj.keys();
      for (let i = 0; i < keys.length; i++) { names.push(keys[i]); values.push(obj.member(keys[i]).toString()); }
    }
    for (let i = 0; i < this.userAttrKeys.length; i++) {
      const k = this.userAttrKeys[i];
      const at = names.indexOf(k);
      if (at >= 0) values[at] = this.userAttrValues[i];
      else { names.push(k); values.push(this.userAttrValues[i]); }
    }
    // Sorted keys, as Go's json.Marshal writes a map.
    const order = names.slice(0).sort();
    const parts = new Array<string>();
    for (let i = 0; i < order.length; i++) parts.push(jsonQuote(order[i]) + ":" + values[names.indexOf(order[i])]);
    const text = jsonQuote("{" + parts.join(",") + "}");
    setProperty([key], utf8(text.substring(1, text.length - 1)));
  }
  /** Each attribute becomes a span tag (property `trace_span_tag.<key>`). */
  writeUserAttributeToTrace(): void {
    for (let i = 0; i < this.userAttrKeys.length; i++) {
      const v = JsonValue.parse(this.userAttrValues[i]);
      setProperty(["trace_span_tag." + this.userAttrKeys[i]], utf8(v.asString()));
    }
  }

  // --- stream control ---
  resumeHttpRequest(): void { if (this.inStream()) continueStream(0); }
  resumeHttpResponse(): void { if (this.inStream()) continueStream(1); }
  /** A local reply; headers are `[name, value]` pairs. grpcStatus -1 = not gRPC. */
  sendHttpResponse(status: u32, headers: string[][], body: ArrayBuffer, grpcStatus: i32 = -1): bool {
    return sendLocalResponse(status, "", body, headers, grpcStatus);
  }
  /** sendHttpResponse with a details string (Envoy's response code details). */
  sendHttpResponseWithDetail(status: u32, details: string, headers: string[][], body: ArrayBuffer, grpcStatus: i32 = -1): bool {
    return sendLocalResponse(status, details, body, headers, grpcStatus);
  }

  // --- headers ---
  getRequestHeader(name: string): string | null { return getHeader(MapType.RequestHeaders, name); }
  getRequestHeaders(): string[][] { return getHeaders(MapType.RequestHeaders); }
  addRequestHeader(name: string, value: string): bool { return addHeader(MapType.RequestHeaders, name, value); }
  replaceRequestHeader(name: string, value: string): bool { return replaceHeader(MapType.RequestHeaders, name, value); }
  removeRequestHeader(name: string): bool { return removeHeader(MapType.RequestHeaders, name); }
  replaceRequestHeaders(headers: string[][]): bool { return setHeaders(MapType.RequestHeaders, headers); }
  getResponseHeader(name: string): string | null { return getHeader(MapType.ResponseHeaders, name); }
  getResponseHeaders(): string[][] { return getHeaders(MapType.ResponseHeaders); }
  addResponseHeader(name: string, value: string): bool { return addHeader(MapType.ResponseHeaders, name, value); }
  replaceResponseHeader(name: string, value: string): bool { return replaceHeader(MapType.ResponseHeaders, name, value); }
  removeResponseHeader(name: string): bool { return removeHeader(MapType.ResponseHeaders, name); }
  replaceResponseHeaders(headers: string[][]): bool { return setHeaders(MapType.ResponseHeaders, headers); }
  getRequestTrailers(): string[][] { return getHeaders(MapType.RequestTrailers); }
  getResponseTrailers(): string[][] { return getHeaders(MapType.ResponseTrailers); }

  // --- bodies (the chunk or the buffered body the current body callback exposes) ---
  getRequestBody(): ArrayBuffer { const b = getWholeBuffer(BufferType.RequestBody); return b !== null ? b : new ArrayBuffer(0); }
  replaceRequestBody(body: ArrayBuffer): bool { return setBuffer(BufferType.RequestBody, 0, 0x7fffffff, body); }
  appendRequestBody(body: ArrayBuffer): bool { return setBuffer(BufferType.RequestBody, 0x7fffffff, 0, body); }
  prependRequestBody(body: ArrayBuffer): bool { return setBuffer(BufferType.RequestBody, 0, 0, body); }
  getResponseBody(): ArrayBuffer { const b = getWholeBuffer(BufferType.ResponseBody); return b !== null ? b : new ArrayBuffer(0); }
  replaceResponseBody(body: ArrayBuffer): bool { return setBuffer(BufferType.ResponseBody, 0, 0x7fffffff, body); }
  appendResponseBody(body: ArrayBuffer): bool { return setBuffer(BufferType.ResponseBody, 0x7fffffff, 0, body); }
  prependResponseBody(body: ArrayBuffer): bool { return setBuffer(BufferType.ResponseBody, 0, 0, body); }

  // --- properties ---
  getProperty(path: string[]): ArrayBuffer | null { return getProperty(path); }
  getPropertyString(path: string[]): string | null { return getPropertyString(path); }
  setProperty(path: string[], value: ArrayBuffer): bool { return setProperty(path, value); }

  /**
   * Higress RouteCall: re-sends this request to `url` (same gateway, re-routed) with a new method, headers
   * and body; the response reaches `callback` instead of the plugin's response handlers. Only from
   * onRequestBody, after onRequestHeaders returned HeaderStopIteration, and only on the Higress ABI
   * (0.2.100). The body callback then returns Continue. Returns false (and logs) when not allowed.
   */
  routeCall(method: string, url: string, headers: string[][], body: ArrayBuffer, callback: RouteCallback | null = null): bool {
    if (ABI_0_2_1) { log.error("routeCall needs the Higress ABI (0.2.100): build without abi '0.2.1'"); return false; }
    if (!this.inRequestBody) { log.error("routeCall is only allowed in the request body phase"); return false; }
    const u = parseUrl(url);
    removeHeader(MapType.RequestHeaders, "accept-encoding");
    removeHeader(MapType.RequestHeaders, "content-length");
    replaceHeader(MapType.RequestHeaders, "x-envoy-original-method", this.method_);
    replaceHeader(MapType.RequestHeaders, "x-envoy-original-path", this.path_);
    replaceHeader(MapType.RequestHeaders, "x-envoy-original-host", this.host_);
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      if (h.length < 2 || h[0].startsWith(":")) continue;
      replaceHeader(MapType.RequestHeaders, h[0].toLowerCase(), h[1]);
    }
    replaceHeader(MapType.RequestHeaders, ":method", method);
    replaceHeader(MapType.RequestHeaders, ":path", u.path);
    if (u.host.length > 0) replaceHeader(MapType.RequestHeaders, ":authority", u.host);
    setBuffer(BufferType.RequestBody, 0, 0x7fffffff, body);
    this.routeCallback = callback;
    log.info("route call start, method:" + method + ", url:" + url);
    return true;
  }

  /** @internal caches what later callbacks need (maps vanish once headers pass). */
  cacheRequestHeaders(): void {
    this.scheme_ = orEmpty(getHeader(MapType.RequestHeaders, ":scheme"));
    this.host_ = orEmpty(getHeader(MapType.RequestHeaders, ":authority"));
    this.path_ = orEmpty(getHeader(MapType.RequestHeaders, ":path"));
    this.method_ = orEmpty(getHeader(MapType.RequestHeaders, ":method"));
    this.connection = orEmpty(getHeader(MapType.RequestHeaders, "connection"));
    this.upgrade = orEmpty(getHeader(MapType.RequestHeaders, "upgrade"));
    this.contentType = orEmpty(getHeader(MapType.RequestHeaders, "content-type"));
    this.contentEncoding = orEmpty(getHeader(MapType.RequestHeaders, "content-encoding"));
  }

  /** @internal */
  cacheResponseHeaders(): void {
    this.responseContentType = orEmpty(getHeader(MapType.ResponseHeaders, "content-type"));
    this.responseContentEncoding = orEmpty(getHeader(MapType.ResponseHeaders, "content-encoding"));
  }
}

function orEmpty(s: string | null): string { return s !== null ? s : ""; }

/** wasm-go skips body handlers for these: octet-stream, gRPC, or any content-encoding. */
export function isBinaryBody(contentType: string, contentEncoding: string): bool {
  const ct = contentType.toLowerCase();
  return ct.indexOf("octet-stream") >= 0 || ct.indexOf("grpc") >= 0 || contentEncoding.length > 0;
}

/** Call-back-free accessor for getBuffer, used by the dispatchers. */
export function readBody(type: u32, size: usize): ArrayBuffer {
  const b = getBuffer(type, 0, size);
  return b !== null ? b : new ArrayBuffer(0);
}
