// {{name}}: a Proxy-Wasm plugin written with @wasmgate/sdk, the AssemblyScript take on Higress's
// wasm-go wrapper. It adds a header, named and valued by its configuration, to every request:
//
//   defaultConfig: {header: x-hello, value: "hello from {{name}}"}
//
// Build: wasmgate build (npm run build). Test: npm test. Try it: npm run dev, then curl localhost:8080.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, log, setCtx } from "@wasmgate/sdk";

/** The parsed configuration (defaultConfig, or a matchRules entry's config). */
class PluginConfig {
  header: string = "";
  value: string = "";
}

/** Reads the JSON configuration into `config`; returns an error message, or null when it is fine. */
function parseConfig(json: JsonValue, config: PluginConfig): string | null {
  config.header = json.get("header").asString();
  config.value = json.get("value").asString();
  if (config.header.length == 0) return "header is required";
  log.info("will add " + config.header + ": " + config.value);
  return null;
}

/** Called once per request, when its headers have arrived. */
function onRequestHeaders(ctx: HttpContext, config: PluginConfig): Action {
  ctx.addRequestHeader(config.header, config.value);
  return Action.Continue;
}

setCtx<PluginConfig>("{{name}}", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
});
