// Test plugin: rule-level config isolation switched on in onPluginStartOrReload (wasm-go's
// EnableRuleLevelConfigIsolation). A rule with `"fail": true` does not parse; parseConfig logs
// every config it accepts so a test can see which JSON a rule ended up with.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, log, PluginContext, setCtx } from "@wasmgate/sdk";

class Config {
  name: string = "";
}

function parseConfig(json: JsonValue, config: Config): string | null {
  if (json.get("fail").asBool()) return "asked to fail";
  config.name = json.get("name").asString("unnamed");
  log.info("parsed " + config.name);
  return null;
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  ctx.addRequestHeader("x-config", config.name);
  return Action.Continue;
}

function onStart(plugin: PluginContext): string | null {
  plugin.enableRuleLevelConfigIsolation();
  if (!plugin.isRuleLevelConfigIsolation()) return "isolation did not switch on";
  return null;
}

setCtx<Config>("isolation", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onPluginStartOrReload: onStart,
});
