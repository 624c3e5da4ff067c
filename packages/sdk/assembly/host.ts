// Thin wrappers over the hostcalls: strings and byte buffers in, strings and byte buffers out.
// Everything above this file speaks these types, never raw pointers.

import * as abi from "./imports";
import { argArea, clearOut, dropOut, encodeAt, OUT_PTR, OUT_SIZE, OUT_WORD, ptrOf, takeOutBytes, takeOutString, utf8, utf8Room } from "./memory";
import { decodePairs, encodePairs } from "./pairs";

/** WasmResult codes the SDK looks at. */
export namespace Status {
  export const Ok: u32 = 0;
  export const NotFound: u32 = 1;
  export const BadArgument: u32 = 2;
  export const Empty: u32 = 7;
  export const CasMismatch: u32 = 8;
}

/** Header map types. */
export namespace MapType {
  export const RequestHeaders: u32 = 0;
  export const RequestTrailers: u32 = 1;
  export const ResponseHeaders: u32 = 2;
  export const ResponseTrailers: u32 = 3;
  export const HttpCallResponseHeaders: u32 = 6;
  export const HttpCallResponseTrailers: u32 = 7;
}

/** Buffer types. */
export namespace BufferType {
  export const RequestBody: u32 = 0;
  export const ResponseBody: u32 = 1;
  export const HttpCallResponseBody: u32 = 4;
  export const VmConfiguration: u32 = 6;
  export const PluginConfiguration: u32 = 7;
  export const RedisCallResponse: u32 = 9;
}

export function logRaw(level: u32, message: string): void {
  const at = argArea(utf8Room(message));
  const n = encodeAt(message, at);
  abi.proxy_log(level, n > 0 ? at : 0, n);
}

/** The host's log level now (proxy_get_log_level); Trace when the host does not say. */
export function hostLogLevel(): u32 {
  clearOut();
  return abi.proxy_get_log_level(OUT_WORD) == Status.Ok ? load<u32>(OUT_WORD) : 0;
}

// --- header maps ---

/** The first value of a header, or null when absent (or the map is unavailable). */
// Names and values are encoded into the reused argument area (memory.ts), not into a managed
// buffer per call. An empty string is passed as (0, 0), the ABI's "empty".
export function getHeader(map: u32, name: string): string | null {
  const at = argArea(utf8Room(name));
  const kl = encodeAt(name, at);
  clearOut();
  if (abi.proxy_get_header_map_value(map, kl > 0 ? at : 0, kl, OUT_PTR, OUT_SIZE) != Status.Ok) return null;
  return takeOutString();
}

export function getHeaders(map: u32): string[][] {
  clearOut();
  if (abi.proxy_get_header_map_pairs(map, OUT_PTR, OUT_SIZE) != Status.Ok) return [];
  const ptr = load<usize>(OUT_PTR);
  const out = decodePairs(ptr, load<usize>(OUT_SIZE));
  dropOut();
  return out;
}

export function setHeaders(map: u32, headers: string[][]): bool {
  const b = encodePairs(headers);
  return abi.proxy_set_header_map_pairs(map, ptrOf(b), b.byteLength) == Status.Ok;
}

export function addHeader(map: u32, name: string, value: string): bool {
  const at = argArea(utf8Room(name) + utf8Room(value));
  const kl = encodeAt(name, at);
  const vl = encodeAt(value, at + kl);
  return abi.proxy_add_header_map_value(map, kl > 0 ? at : 0, kl, vl > 0 ? at + kl : 0, vl) == Status.Ok;
}

export function replaceHeader(map: u32, name: string, value: string): bool {
  const at = argArea(utf8Room(name) + utf8Room(value));
  const kl = encodeAt(name, at);
  const vl = encodeAt(value, at + kl);
  return abi.proxy_replace_header_map_value(map, kl > 0 ? at : 0, kl, vl > 0 ? at + kl : 0, vl) == Status.Ok;
}

export function removeHeader(map: u32, name: string): bool {
  const at = argArea(utf8Room(name));
  const kl = encodeAt(name, at);
  return abi.proxy_remove_header_map_value(map, kl > 0 ? at : 0, kl) == Status.Ok;
}

// --- buffers ---

/** Bytes [start, start + max) of a buffer; null when the buffer is unavailable. */
export function getBuffer(type: u32, start: usize, max: usize): ArrayBuffer | null {
  clearOut();
  const status = abi.proxy_get_buffer_bytes(type, start, max, OUT_PTR, OUT_SIZE);
  if (status != Status.Ok) return null;
  return takeOutBytes();
}

/** The whole of a buffer (or null). */
export function getWholeBuffer(type: u32): ArrayBuffer | null {
  return getBuffer(type, 0, 0x7fffffff);
}

/** set_buffer_bytes: (0, size) replaces, (0, 0) prepends, (size, 0) appends. */
export function setBuffer(type: u32, start: usize, length: usize, data: ArrayBuffer): bool {
  return abi.proxy_set_buffer_bytes(type, start, length, ptrOf(data), data.byteLength) == Status.Ok;
}

// --- properties ---

function encodePath(path: string[]): ArrayBuffer {
  return utf8(path.join("\0"));
}

/** A property's raw bytes, or null when absent. */
export function getProperty(path: string[]): ArrayBuffer | null {
  const p = encodePath(path);
  clearOut();
  if (abi.proxy_get_property(ptrOf(p), p.byteLength, OUT_PTR, OUT_SIZE) != Status.Ok) return null;
  return takeOutBytes();
}

/** A property as text, or null when absent. */
export function getPropertyString(path: string[]): string | null {
  const p = encodePath(path);
  clearOut();
  if (abi.proxy_get_property(ptrOf(p), p.byteLength, OUT_PTR, OUT_SIZE) != Status.Ok) return null;
  return takeOutString();
}

/** get_property's status, with the value (as text) in `lastProperty` when Ok: one hostcall for both. */
export function getPropertyStatus(path: string[]): u32 {
  const p = encodePath(path);
  clearOut();
  const status = abi.proxy_get_property(ptrOf(p), p.byteLength, OUT_PTR, OUT_SIZE);
  lastProperty = status == Status.Ok ? takeOutString() : "";
  return status;
}

/** The value read by the last getPropertyStatus. */
export let lastProperty: string = "";

export function setProperty(path: string[], value: ArrayBuffer): bool {
  const p = encodePath(path);
  return abi.proxy_set_property(ptrOf(p), p.byteLength, ptrOf(value), value.byteLength) == Status.Ok;
}

// --- stream control ---

export function continueStream(stream: u32): bool {
  return abi.proxy_continue_stream(stream) == Status.Ok;
}

export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: string[][], grpcStatus: i32): bool {
  const d = utf8(details);
  const h = encodePairs(headers);
  return abi.proxy_send_local_response(status, ptrOf(d), d.byteLength, ptrOf(body), body.byteLength,
    ptrOf(h), h.byteLength, grpcStatus) == Status.Ok;
}

export function setEffectiveContext(id: u32): bool {
  return abi.proxy_set_effective_context(id) == Status.Ok;
}

// --- time ---

/** Wall-clock time in nanoseconds, as the host sees it. */
export function getCurrentTimeNanos(): u64 {
  store<u64>(OUT_WORD, 0);
  abi.proxy_get_current_time_nanoseconds(OUT_WORD);
  return load<u64>(OUT_WORD);
}

export function setTickPeriod(ms: u32): void {
  abi.proxy_set_tick_period_milliseconds(ms);
}

/** Random bytes from WASI random_get (the host's CSPRNG, or the harness's seeded one). */
export function randomBytes(n: i32): Uint8Array {
  const out = new Uint8Array(n);
  abi.random_get(out.dataStart, <usize>n);
  return out;
}
