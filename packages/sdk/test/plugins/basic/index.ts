// Test plugin: echoes which config matched, exercises headers, bodies and context helpers.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, log, setCtx } from "@wasmgate/sdk";

class Seen {
  constructor(public path: string, public n: i32) {}
}

class Config {
  name: string = "";
  mode: string = "";
}

function parseConfig(json: JsonValue, config: Config): string | null {
  if (json.get("fail").asBool()) return "asked to fail";
  config.name = json.get("name").asString("unnamed");
  if (json.get("_plugin_id_").exists()) return "_plugin_id_ leaked into parseConfig";
  config.mode = json.get("mode").asString("");
  return null;
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  ctx.addRequestHeader("x-config", config.name);
  ctx.addRequestHeader("x-rule", ctx.ruleIndex().toString());
  ctx.addRequestHeader("x-has-body", ctx.hasRequestBody() ? "yes" : "no");
  ctx.setContext("seen", ctx.path());
  ctx.setContextObject<Seen>("seen-obj", new Seen(ctx.path(), 7));
  if (config.mode == "reply") {
    ctx.sendHttpResponse(200, [["content-type", "text/plain"], ["x-method", ctx.method()]], String.UTF8.encode("config " + config.name));
    return Action.Pause;
  }
  if (config.mode == "stop") return Action.HeaderStopIteration;
  if (config.mode == "nobody") ctx.dontReadRequestBody();
  log.info("headers for " + ctx.host());
  return Action.Continue;
}

function onRequestBody(ctx: HttpContext, config: Config, body: ArrayBuffer): Action {
  ctx.replaceRequestBody(String.UTF8.encode("[" + String.UTF8.decode(body) + "]"));
  return Action.Continue;
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  const seen = ctx.getContext("seen");
  ctx.addResponseHeader("x-seen", seen !== null ? seen : "none");
  const obj = ctx.getContextObject<Seen>("seen-obj");
  ctx.addResponseHeader("x-seen-obj", obj !== null ? obj.path + "#" + obj.n.toString() : "none");
  const missing = ctx.getContextObject<Seen>("nope");
  if (missing !== null) ctx.addResponseHeader("x-bug", "1");
  return Action.Continue;
}

setCtx<Config>("basic", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onRequestBody: onRequestBody,
  onResponseHeaders: onResponseHeaders,
});
