// Higress's mock-response seed walkthrough, written with @wasmgate/sdk: answers every request itself with
// the `content` of the rule that matched (route or domain), else the global `content`. Gives the same
// replies and log lines as the Go fixture (fixtures/go/mock-response) for the same configuration.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, log, matchDomain, normalizeHost, setCtx } from "@wasmgate/sdk";

class MockConfig {
  content: string = "";
  hasContent: bool = false;
  /** The rule's match arrays, kept only to say in the log which entry matched. */
  routes: string[] = [];
  domains: string[] = [];
}

function strings(v: JsonValue): string[] {
  const out = new Array<string>();
  const items = v.asArray();
  for (let i = 0; i < items.length; i++) out.push(items[i].asString());
  return out;
}

// Called for the global keys and, separately, for each `_rules_` entry.
function parseConfig(json: JsonValue, config: MockConfig): string | null {
  const content = json.get("content");
  if (content.exists() && !content.isString()) return "content must be a string";
  config.content = content.asString();
  config.hasContent = content.exists();
  config.routes = strings(json.get("_match_route_"));
  config.domains = strings(json.get("_match_domain_"));
  if ((config.routes.length > 0 || config.domains.length > 0) && !config.hasContent) return "a rule has no content";
  return null;
}

function onRequestHeaders(ctx: HttpContext, config: MockConfig): Action {
  const rule = ctx.ruleIndex();
  if (rule >= 0 && config.routes.length > 0) {
    const route = ctx.getPropertyString(["route_name"]);
    log.plain.info("mock-response: rule " + rule.toString() + " matched route \"" + (route !== null ? route : "") + "\"");
  } else if (rule >= 0) {
    const host = normalizeHost(ctx.host());
    let pattern = "";
    for (let i = 0; i < config.domains.length; i++) {
      if (matchDomain(config.domains[i].toLowerCase(), host)) { pattern = config.domains[i]; break; }
    }
    log.plain.info("mock-response: rule " + rule.toString() + " matched domain \"" + pattern + "\" (host \"" + host + "\")");
  } else if (config.hasContent) {
    log.plain.info("mock-response: no rule matched; global content");
  } else {
    log.plain.info("mock-response: no rule matched and no global content; passing through");
    return Action.Continue;
  }
  ctx.sendHttpResponse(200, [["content-type", "text/plain"]], String.UTF8.encode(config.content));
  return Action.HeaderStopIteration;
}

setCtx<MockConfig>("mock-response", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
});
