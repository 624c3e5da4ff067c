// hello-header: the smallest useful plugin written with @wasmgate/sdk. It adds one configured header
// to every request (the upstream sees it) and to every response (the client sees it).
//   { "name": "x-my-header", "value": "hello from wasmgate" }   (both optional; `{}` uses these defaults)
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, setCtx } from "@wasmgate/sdk";

class Config {
  name: string = "x-my-header";
  value: string = "hello from wasmgate";
}

function parseConfig(json: JsonValue, config: Config): string | null {
  const name = json.get("name");
  if (name.exists()) {
    if (!name.isString() || name.asString().length == 0) return "name must be a non-empty string";
    // Header names travel lower-case in HTTP/2 and in Envoy's header maps.
    config.name = name.asString().toLowerCase();
  }
  const value = json.get("value");
  if (value.exists()) {
    if (!value.isString()) return "value must be a string";
    config.value = value.asString();
  }
  return null;
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  ctx.addRequestHeader(config.name, config.value);
  return Action.Continue;
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  ctx.addResponseHeader(config.name, config.value);
  return Action.Continue;
}

setCtx<Config>("hello-header", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onResponseHeaders: onResponseHeaders,
});
