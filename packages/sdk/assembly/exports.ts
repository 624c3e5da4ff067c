// Every proxy_on_* entry point of the ABI. A plugin's entry file re-exports this module:
//   export * from "@wasmgate/sdk/assembly/exports";
// The functions only find the context and hand over to the registered plugin (plugin.ts); callbacks the
// SDK has no use for (L4, gRPC, metadata, queues, foreign functions) answer "continue" so any host may call them.
// The ABI marker is not here: build.ts adds it as a second entry file (assembly/abi/marker-*.ts).

import { Action } from "./action";
import { BufferType, getWholeBuffer } from "./host";
import { HttpContext } from "./http-context";
import { onHttpCallResponse } from "./http-client";
import { JsonValue } from "./json";
import { log } from "./log";
import { getPlugin } from "./plugin";
import { onRedisCallResponse } from "./redis";
import { roots, RootState, setCurrent, streams } from "./state";
import { resetTickFuncs, runTickFuncs, startTicking } from "./tick";
export { proxy_on_memory_allocate } from "./memory";
// Compiled in for build.ts's `--use abort=~lib/@wasmgate/sdk/assembly/abort/sdkAbort`.
import "./abort";

export function proxy_on_context_create(id: u32, parentId: u32): void {
  if (parentId == 0) {
    roots.set(id, new RootState(id));
    return;
  }
  const plugin = getPlugin();
  if (plugin === null) return;
  const ctx = new HttpContext(id, parentId);
  plugin.newStream(ctx);
  streams.set(id, ctx);
}

export function proxy_on_vm_start(rootId: u32, vmConfigSize: u32): u32 {
  return 1;
}

export function proxy_on_configure(rootId: u32, configSize: u32): u32 {
  const plugin = getPlugin();
  if (plugin === null) return 1;
  if (!roots.has(rootId)) roots.set(rootId, new RootState(rootId));
  const root = roots.get(rootId);
  setCurrent(null, rootId);
  // wasm-go order: the start-or-reload hook, then a fresh tick list, then the configuration.
  let err = plugin.startOrReload(root);
  if (err !== null) {
    setCurrent(null, 0);
    log.error("prePluginStartOrReload hook failed: " + err);
    return 0;
  }
  resetTickFuncs();
  const data = configSize > 0 ? getWholeBuffer(BufferType.PluginConfiguration) : null;
  const text = data !== null ? String.UTF8.decode(data) : "";
  let json: JsonValue;
  if (text.trim().length == 0) {
    if (plugin.hasParseConfig()) log.warn("config is empty, but has ParseConfigFunc");
    json = JsonValue.parse("{}");
  } else {
    json = JsonValue.parse(text);
    const bad = json.error;
    if (bad !== null) {
      setCurrent(null, 0);
      log.warn("the plugin configuration is not a valid json: " + bad);
      log.error("plugin start failed");
      return 0;
    }
  }
  err = json.isObject() ? plugin.configure(root, json) : "the plugin configuration is not a JSON object";
  setCurrent(null, 0);
  if (err !== null) {
    log.warn("parse rule config failed: " + err);
    log.error("plugin start failed");
    return 0;
  }
  startTicking();
  log.info("plugin start successfully");
  return 1;
}

export function proxy_on_tick(rootId: u32): void {
  setCurrent(null, rootId);
  runTickFuncs();
  setCurrent(null, 0);
}

export function proxy_on_request_headers(id: u32, numHeaders: u32, endOfStream: u32): u32 {
  const plugin = getPlugin();
  if (plugin === null || !streams.has(id)) return Action.Continue;
  const ctx = streams.get(id);
  setCurrent(ctx, ctx.rootId);
  const r = plugin.requestHeaders(ctx, endOfStream != 0);
  setCurrent(null, 0);
  return r;
}

export function proxy_on_request_body(id: u32, bodySize: u32, endOfStream: u32): u32 {
  const plugin = getPlugin();
  if (plugin === null || !streams.has(id)) return Action.Continue;
  const ctx = streams.get(id);
  setCurrent(ctx, ctx.rootId);
  const r = plugin.requestBody(ctx, bodySize, endOfStream != 0);
  setCurrent(null, 0);
  return r;
}

export function proxy_on_request_trailers(id: u32, numTrailers: u32): u32 {
  return Action.Continue;
}

export function proxy_on_response_headers(id: u32, numHeaders: u32, endOfStream: u32): u32 {
  const plugin = getPlugin();
  if (plugin === null || !streams.has(id)) return Action.Continue;
  const ctx = streams.get(id);
  setCurrent(ctx, ctx.rootId);
  const r = plugin.responseHeaders(ctx, endOfStream != 0);
  setCurrent(null, 0);
  return r;
}

export function proxy_on_response_body(id: u32, bodySize: u32, endOfStream: u32): u32 {
  const plugin = getPlugin();
  if (plugin === null || !streams.has(id)) return Action.Continue;
  const ctx = streams.get(id);
  setCurrent(ctx, ctx.rootId);
  const r = plugin.responseBody(ctx, bodySize, endOfStream != 0);
  setCurrent(null, 0);
  return r;
}

export function proxy_on_response_trailers(id: u32, numTrailers: u32): u32 {
  return Action.Continue;
}

/** wasm-go runs OnHttpStreamDone here, before the access log is written. */
export function proxy_on_log(id: u32): void {
  const plugin = getPlugin();
  if (plugin === null || !streams.has(id)) return;
  const ctx = streams.get(id);
  setCurrent(ctx, ctx.rootId);
  plugin.streamDone(ctx);
  setCurrent(null, 0);
}

export function proxy_on_done(id: u32): u32 {
  if (streams.has(id)) streams.get(id).done = true;
  return 1;
}

export function proxy_on_delete(id: u32): void {
  if (streams.has(id)) {
    streams.delete(id);
    return;
  }
  if (roots.has(id)) {
    roots.delete(id);
    const plugin = getPlugin();
    if (plugin !== null) plugin.dropRoot(id);
  }
}

export function proxy_on_http_call_response(rootId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  onHttpCallResponse(rootId, token, numHeaders, bodySize);
}

export function proxy_on_redis_call_response(rootId: u32, token: u32, status: u32, size: u32): void {
  onRedisCallResponse(rootId, token, status, size);
}

// --- callbacks the SDK does not use: answer "continue" ---

export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {}
export function proxy_on_foreign_function(rootId: u32, functionId: u32, argsSize: u32): void {}
export function proxy_on_request_metadata(id: u32, numElements: u32): u32 { return Action.Continue; }
export function proxy_on_response_metadata(id: u32, numElements: u32): u32 { return Action.Continue; }
export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, numHeaders: u32): void {}
export function proxy_on_grpc_receive(rootId: u32, token: u32, size: u32): void {}
export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, numTrailers: u32): void {}
export function proxy_on_grpc_close(rootId: u32, token: u32, status: u32): void {}
export function proxy_on_new_connection(id: u32): u32 { return Action.Continue; }
export function proxy_on_downstream_data(id: u32, size: u32, endOfStream: u32): u32 { return Action.Continue; }
export function proxy_on_upstream_data(id: u32, size: u32, endOfStream: u32): u32 { return Action.Continue; }
export function proxy_on_downstream_connection_close(id: u32, peerType: u32): void {}
export function proxy_on_upstream_connection_close(id: u32, peerType: u32): void {}
