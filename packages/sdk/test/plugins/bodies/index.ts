// Test plugin: streaming and buffered body handlers. Streaming by default; `x-body-mode: buffer`
// switches the stream to the buffered handlers, `x-body-mode: skip` stops reading bodies.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, setCtx } from "@wasmgate/sdk";

class Config {}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  const m = ctx.getRequestHeader("x-body-mode");
  if (m !== null && m == "buffer") { ctx.bufferRequestBody(); ctx.bufferResponseBody(); }
  if (m !== null && m == "skip") { ctx.dontReadRequestBody(); ctx.dontReadResponseBody(); }
  ctx.setContext("binary", ctx.isBinaryRequestBody() ? "yes" : "no");
  return Action.Continue;
}

function upper(ctx: HttpContext, config: Config, chunk: ArrayBuffer, isEnd: bool): ArrayBuffer {
  return String.UTF8.encode(String.UTF8.decode(chunk).toUpperCase() + (isEnd ? "|end" : "|"));
}

function wrapRequest(ctx: HttpContext, config: Config, body: ArrayBuffer): Action {
  ctx.replaceRequestBody(String.UTF8.encode("[" + String.UTF8.decode(body) + "]"));
  return Action.Continue;
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  const b = ctx.getContext("binary");
  ctx.addResponseHeader("x-binary", b !== null ? b : "?");
  ctx.removeResponseHeader("content-length");
  return Action.Continue;
}

function wrapResponse(ctx: HttpContext, config: Config, body: ArrayBuffer): Action {
  ctx.replaceResponseBody(String.UTF8.encode("<" + String.UTF8.decode(body) + ">"));
  return Action.Continue;
}

setCtx<Config>("bodies", {
  parseConfig: (json: JsonValue, config: Config): string | null => null,
  onRequestHeaders: onRequestHeaders,
  onStreamingRequestBody: upper,
  onRequestBody: wrapRequest,
  onResponseHeaders: onResponseHeaders,
  onStreamingResponseBody: upper,
  onResponseBody: wrapResponse,
});
