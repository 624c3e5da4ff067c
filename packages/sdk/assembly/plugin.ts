// setCtx and PluginOptions: how a plugin registers its callbacks, and the dispatch that applies wasm-go's
// per-request skeleton around them (rule matching, x-request-id, body modes, binary/websocket skips).

import { ABI_0_2_1 } from "./abi";
import { Action } from "./action";
import { BufferType, getHeader, getPropertyStatus, lastProperty, getWholeBuffer, MapType, setBuffer, setProperty, Status } from "./host";
import { GLOBAL_RULE, HttpContext, isBinaryBody, NOT_MATCHED, readBody } from "./http-context";
import { JsonValue } from "./json";
import { log, setLogNames } from "./log";
import { CONSUMER_HEADER, normalizeHost, parseRuleMatch, PLUGIN_ID_KEY, ruleBackups, ruleKey, RuleKind, RULES_KEY, ruleMatches, RuleMatch, withoutMatcherKeys } from "./matcher";
import { utf8 } from "./memory";
import { PluginContext, setLeaseName } from "./plugin-context";
import { RootState } from "./state";

/**
 * The callbacks of a plugin; pass an object literal to setCtx with the ones you need. Callbacks are
 * top-level functions or non-capturing arrows (AssemblyScript has no closures), so they receive
 * everything as arguments. Configuration callbacks return an error message, or null when fine.
 */
export class PluginOptions<C> {
  parseConfig: ((json: JsonValue, config: C) => string | null) | null = null;
  /** Builds a rule's config from the rule JSON and the global config (wasm-go ParseOverrideConfig). */
  parseOverrideConfig: ((json: JsonValue, global: C, config: C) => string | null) | null = null;
  onRequestHeaders: ((ctx: HttpContext, config: C) => Action) | null = null;
  /** The whole request body, once it has all arrived. */
  onRequestBody: ((ctx: HttpContext, config: C, body: ArrayBuffer) => Action) | null = null;
  /** Each request body chunk as it passes; returns the chunk to forward. */
  onStreamingRequestBody: ((ctx: HttpContext, config: C, chunk: ArrayBuffer, isEnd: bool) => ArrayBuffer) | null = null;
  onResponseHeaders: ((ctx: HttpContext, config: C) => Action) | null = null;
  onResponseBody: ((ctx: HttpContext, config: C, body: ArrayBuffer) => Action) | null = null;
  onStreamingResponseBody: ((ctx: HttpContext, config: C, chunk: ArrayBuffer, isEnd: bool) => ArrayBuffer) | null = null;
  /** After the stream (proxy_on_log): write access-log attributes here. */
  onStreamDone: ((ctx: HttpContext, config: C) => void) | null = null;
  /** At each configure (start or reload), before the configuration is parsed (wasm-go PrePluginStartOrReload). */
  onPluginStartOrReload: ((plugin: PluginContext) => string | null) | null = null;
}

/** The type-erased face of the registered plugin, used by exports.ts. */
export abstract class PluginBase {
  name: string = "";
  abstract configure(root: RootState, json: JsonValue): string | null;
  abstract hasParseConfig(): bool;
  abstract startOrReload(root: RootState): string | null;
  abstract newStream(ctx: HttpContext): void;
  abstract requestHeaders(ctx: HttpContext, end: bool): i32;
  abstract requestBody(ctx: HttpContext, size: usize, end: bool): i32;
  abstract responseHeaders(ctx: HttpContext, end: bool): i32;
  abstract responseBody(ctx: HttpContext, size: usize, end: bool): i32;
  abstract streamDone(ctx: HttpContext): void;
  abstract dropRoot(id: u32): void;
}

let registered: PluginBase | null = null;

export function getPlugin(): PluginBase | null { return registered; }

/**
 * Registers the plugin (once, at the top level of the entry file). `C` is the configuration class; the SDK
 * makes one with `instantiate<C>()` per config (global and each rule), so C needs a no-argument constructor.
 *
 * @example
 * setCtx<Config>("my-plugin", { parseConfig: parse, onRequestHeaders: onHeaders });
 */
export function setCtx<C>(name: string, options: PluginOptions<C>): void {
  const p = new PluginImpl<C>(options);
  p.name = name;
  registered = p;
  setLogNames(name, "");
  setLeaseName(name);
}

class Configs<C> {
  global: C | null = null;
  rules: C[] = [];
}

class PluginImpl<C> extends PluginBase {
  opts: PluginOptions<C>;
  configs: Map<u32, Configs<C>> = new Map();

  constructor(opts: PluginOptions<C>) {
    super();
    this.opts = opts;
  }

  parse(json: JsonValue, config: C): string | null {
    const f = this.opts.parseConfig;
    return f ? f(json, config) : null;
  }

  configure(root: RootState, json: JsonValue): string | null {
    const pluginId = json.get(PLUGIN_ID_KEY).asString();
    setLogNames(this.name, pluginId);
    const configs = new Configs<C>();
    const rules = new Array<RuleMatch>();
    let hasGlobal = false;
    const rulesJson = json.member(RULES_KEY);
    let keyCount = json.keys().length;
    if (json.member(PLUGIN_ID_KEY).exists()) keyCount--;
    if (keyCount == 0) {
      // An empty configuration still turns the plugin on, with a config parsed from `{}`.
      const c = instantiate<C>();
      const err = this.parse(JsonValue.parse("{}"), c);
      if (err !== null) return err;
      configs.global = c;
      hasGlobal = true;
    } else {
      if (rulesJson.exists()) keyCount--;
      let globalErr: string | null = null;
      if (keyCount > 0) {
        const c = instantiate<C>();
        globalErr = this.parse(withoutMatcherKeys(json), c);
        if (globalErr === null) { configs.global = c; hasGlobal = true; }
      }
      const list = rulesJson.asArray();
      let failedRules = 0;
      if (list.length == 0) {
        if (!hasGlobal) return "parse config failed, no valid rules; global config parse error: " + (globalErr !== null ? globalErr : "none");
      } else if (globalErr !== null) {
        log.warn("global config is not used: " + globalErr);
      }
      for (let i = 0; i < list.length; i++) {
        const ruleJson = list[i];
        const m = parseRuleMatch(ruleJson);
        if (m === null) {
          return "_rules_[" + i.toString() + "]: there is at least one of '_match_route_', '_match_domain_', '_match_service_' and '_match_route_prefix_' can present in configuration.";
        }
        let c = instantiate<C>();
        let err = this.parseRule(ruleJson, configs.global, c);
        if (err !== null) {
          if (!root.ruleLevelIsolation) return "_rules_[" + i.toString() + "]: " + err;
          // Rule-level isolation (wasm-go): fall back to this rule's last good JSON, else skip the rule.
          failedRules++;
          log.warn("_rules_[" + i.toString() + "]: " + err + "; trying this rule's last good configuration");
          const key = ruleKey(m);
          if (!ruleBackups.has(key)) {
            log.error("_rules_[" + i.toString() + "]: no earlier configuration of this rule; the rule is skipped");
            continue;
          }
          c = instantiate<C>();
          err = this.parseRule(JsonValue.parse(ruleBackups.get(key)), configs.global, c);
          if (err !== null) {
            log.error("_rules_[" + i.toString() + "]: its last good configuration does not parse either (" + err + "); the rule is skipped");
            continue;
          }
          log.info("_rules_[" + i.toString() + "]: using this rule's last good configuration");
        } else if (root.ruleLevelIsolation) {
          ruleBackups.set(ruleKey(m), ruleJson.toString());
        }
        rules.push(m);
        configs.rules.push(c);
      }
      if (list.length > 0 && rules.length == 0 && failedRules > 0) {
        return "all rules failed to parse and no earlier configuration of them is available";
      }
    }
    this.configs.set(root.id, configs);
    root.hasGlobal = hasGlobal;
    root.rules = rules;
    root.configured = true;
    return null;
  }

  /** A rule's config: parseOverrideConfig(rule, global, c) when given, else parseConfig(rule, c). */
  parseRule(ruleJson: JsonValue, global: C | null, c: C): string | null {
    const parseOverride = this.opts.parseOverrideConfig;
    if (parseOverride) return parseOverride(ruleJson, global !== null ? global : instantiate<C>(), c);
    return this.parse(ruleJson, c);
  }

  hasParseConfig(): bool { return this.opts.parseConfig !== null; }

  startOrReload(root: RootState): string | null {
    const f = this.opts.onPluginStartOrReload;
    return f ? f(new PluginContext(root.id)) : null;
  }

  configFor(ctx: HttpContext): C {
    const c = this.configs.get(ctx.rootId);
    return ctx.rule == GLOBAL_RULE ? c.global! : c.rules[ctx.rule];
  }

  dropRoot(id: u32): void {
    if (this.configs.has(id)) this.configs.delete(id);
  }

  newStream(ctx: HttpContext): void {
    const o = this.opts;
    ctx.needRequestBody = o.onRequestBody !== null || o.onStreamingRequestBody !== null;
    ctx.needResponseBody = o.onResponseBody !== null || o.onStreamingResponseBody !== null;
    ctx.streamingRequestBody = o.onStreamingRequestBody !== null;
    ctx.streamingResponseBody = o.onStreamingResponseBody !== null;
  }

  requestHeaders(ctx: HttpContext, end: bool): i32 {
    ctx.requestHeadersEnd = end;
    ctx.cacheRequestHeaders();
    const rid = getHeader(MapType.RequestHeaders, "x-request-id");
    if (rid !== null && rid.length > 0) setProperty(["x_request_id"], utf8(rid));
    if (!this.match(ctx)) return Action.Continue;
    if (ctx.isBinaryRequestBody()) ctx.needRequestBody = false;
    if (ctx.isWebsocket()) { ctx.needRequestBody = false; ctx.needResponseBody = false; }
    const f = this.opts.onRequestHeaders;
    return headerStatus(f ? f(ctx, this.configFor(ctx)) : Action.Continue);
  }

  /** Picks the rule for this stream; false when the plugin sits it out. */
  match(ctx: HttpContext): bool {
    const root = rootOf(ctx);
    if (root === null || !root.configured) return false;
    if (root.rules.length == 0) {
      if (!root.hasGlobal) return false;
      ctx.rule = GLOBAL_RULE;
      return true;
    }
    // Deliberate deviation: wasm-go skips the plugin (fail-open) when `:authority` is missing, which would
    // let such a request bypass an auth plugin; here it counts as "" (no domain rule matches it).
    const authority = ctx.host_;
    const route = propertyOrEmpty("route_name");
    const cluster = propertyOrEmpty("cluster_name");
    if (route === null || cluster === null) {
      log.error("get match config failed, err:get route_name or cluster_name failed");
      return false;
    }
    const host = normalizeHost(authority);
    // The consumer header is read only when a `_match_consumer_` rule is reached, as wasm-go does.
    let consumer: string | null = null;
    for (let i = 0; i < root.rules.length; i++) {
      const rule = root.rules[i];
      if (rule.kind == RuleKind.RoutePrefixAndConsumer && consumer === null) {
        const c = getHeader(MapType.RequestHeaders, CONSUMER_HEADER);
        consumer = c !== null ? c : "";
      }
      if (ruleMatches(rule, route, host, cluster, consumer !== null ? consumer : "")) { ctx.rule = i; return true; }
    }
    if (root.hasGlobal) { ctx.rule = GLOBAL_RULE; return true; }
    return false;
  }

  requestBody(ctx: HttpContext, size: usize, end: bool): i32 {
    if (ctx.rule == NOT_MATCHED || !ctx.needRequestBody) return Action.Continue;
    const streaming = this.opts.onStreamingRequestBody;
    if (streaming && ctx.streamingRequestBody) {
      const chunk = readBody(BufferType.RequestBody, size);
      setBuffer(BufferType.RequestBody, 0, 0x7fffffff, streaming(ctx, this.configFor(ctx), chunk, end));
      return Action.Continue;
    }
    const buffered = this.opts.onRequestBody;
    if (!buffered) return Action.Continue;
    ctx.requestBodySize += size;
    if (!end) return Action.DataStopIterationAndBuffer;
    const body = getWholeBuffer(BufferType.RequestBody);
    if (body === null) return Action.Continue;
    ctx.inRequestBody = true;
    const r = buffered(ctx, this.configFor(ctx), body);
    ctx.inRequestBody = false;
    return r;
  }

  responseHeaders(ctx: HttpContext, end: bool): i32 {
    ctx.responseHeadersEnd = end;
    ctx.cacheResponseHeaders();
    if (ctx.rule == NOT_MATCHED) return Action.Continue;
    if (ctx.isBinaryResponseBody()) ctx.needResponseBody = false;
    const route = ctx.routeCallback;
    if (route) {
      if (end) {
        ctx.routeCallback = null;
        route(ctx, responseStatus(), ctx.getResponseHeaders(), new ArrayBuffer(0));
        return Action.HeaderStopAllIterationAndWatermark;
      }
      ctx.needResponseBody = true;
      return Action.HeaderStopIteration;
    }
    const f = this.opts.onResponseHeaders;
    return headerStatus(f ? f(ctx, this.configFor(ctx)) : Action.Continue);
  }

  responseBody(ctx: HttpContext, size: usize, end: bool): i32 {
    if (ctx.rule == NOT_MATCHED || !ctx.needResponseBody) return Action.Continue;
    const route = ctx.routeCallback;
    if (route) {
      // The route call's answer goes to its callback, whole, instead of the response handlers.
      if (!end) return Action.DataStopIterationAndBuffer;
      ctx.routeCallback = null;
      const body = getWholeBuffer(BufferType.ResponseBody);
      const status = responseStatus();
      ctx.removeResponseHeader("content-length");
      route(ctx, status, ctx.getResponseHeaders(), body !== null ? body : new ArrayBuffer(0));
      return Action.Continue;
    }
    const streaming = this.opts.onStreamingResponseBody;
    if (streaming && ctx.streamingResponseBody) {
      const chunk = readBody(BufferType.ResponseBody, size);
      setBuffer(BufferType.ResponseBody, 0, 0x7fffffff, streaming(ctx, this.configFor(ctx), chunk, end));
      return Action.Continue;
    }
    const buffered = this.opts.onResponseBody;
    if (!buffered) return Action.Continue;
    ctx.responseBodySize += size;
    if (!end) return Action.DataStopIterationAndBuffer;
    const body = getWholeBuffer(BufferType.ResponseBody);
    if (body === null) return Action.Continue;
    return buffered(ctx, this.configFor(ctx), body);
  }

  streamDone(ctx: HttpContext): void {
    if (ctx.rule == NOT_MATCHED) return;
    const f = this.opts.onStreamDone;
    if (f) f(ctx, this.configFor(ctx));
  }
}

import { roots } from "./state";

function rootOf(ctx: HttpContext): RootState | null {
  return roots.has(ctx.rootId) ? roots.get(ctx.rootId) : null;
}

/** The response `:status` for a route call's callback; 500 when absent, as wasm-go. */
function responseStatus(): i32 {
  const s = getHeader(MapType.ResponseHeaders, ":status");
  return s !== null && s.length > 0 ? I32.parseInt(s) : 500;
}

/** A property as text: "" when NotFound, null on any other failure (wasm-go then skips the plugin). */
function propertyOrEmpty(name: string): string | null {
  const status = getPropertyStatus([name]);
  if (status == Status.NotFound) return "";
  if (status != Status.Ok) return null;
  return lastProperty;
}

/**
 * On 0.2.1 Envoy turns a header return of 1 into stop-all (4); the SDK sends 4 itself so the status a
 * test or a trace sees is the one that takes effect.
 */
function headerStatus(a: i32): i32 {
  return ABI_0_2_1 && a == Action.HeaderStopIteration ? Action.HeaderStopAllIterationAndWatermark : a;
}
