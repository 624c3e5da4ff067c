// Multi-level configuration as wasm-go's rule matcher (pkg/matcher) applies it: global keys plus
// `_rules_`, each rule selecting requests by route, domain, service or route prefix. The first rule
// in order that matches wins, else the global config, else the plugin sits this request out.

import { JsonValue } from "./json";

export const RULES_KEY = "_rules_";
export const MATCH_ROUTE_KEY = "_match_route_";
export const MATCH_DOMAIN_KEY = "_match_domain_";
export const MATCH_SERVICE_KEY = "_match_service_";
export const MATCH_ROUTE_PREFIX_KEY = "_match_route_prefix_";
export const MATCH_CONSUMER_KEY = "_match_consumer_";
export const PLUGIN_ID_KEY = "_plugin_id_";
/** The request header key-auth & co. set to the authenticated consumer (`_match_consumer_` rules). */
export const CONSUMER_HEADER = "x-mse-consumer";

/** Which match array decides a rule, in wasm-go's precedence. */
export enum RuleKind { Route = 0, RouteAndService, Domain, Service, RoutePrefix, RoutePrefixAndConsumer }

export class RuleMatch {
  kind: RuleKind = RuleKind.Route;
  routes: string[] = [];
  domains: string[] = [];
  services: string[] = [];
  routePrefixes: string[] = [];
  consumers: string[] = [];
}

function strings(v: JsonValue): string[] {
  const items = v.asArray();
  const out = new Array<string>();
  for (let i = 0; i < items.length; i++) {
    const s = items[i].asString();
    if (s.length > 0) out.push(s);
  }
  return out;
}

/** The match part of a rule, or null when it has no match array (an invalid rule). */
export function parseRuleMatch(rule: JsonValue): RuleMatch | null {
  const m = new RuleMatch();
  m.routes = strings(rule.get(MATCH_ROUTE_KEY));
  m.domains = strings(rule.get(MATCH_DOMAIN_KEY));
  for (let i = 0; i < m.domains.length; i++) m.domains[i] = m.domains[i].toLowerCase();
  m.services = strings(rule.get(MATCH_SERVICE_KEY));
  m.routePrefixes = strings(rule.get(MATCH_ROUTE_PREFIX_KEY));
  m.consumers = strings(rule.get(MATCH_CONSUMER_KEY));
  if (m.routes.length > 0) m.kind = m.services.length > 0 ? RuleKind.RouteAndService : RuleKind.Route;
  else if (m.domains.length > 0) m.kind = RuleKind.Domain;
  else if (m.services.length > 0) m.kind = RuleKind.Service;
  else if (m.routePrefixes.length > 0) m.kind = m.consumers.length > 0 ? RuleKind.RoutePrefixAndConsumer : RuleKind.RoutePrefix;
  else return null;
  return m;
}

/** `*.suffix` (suffix), `prefix*` (prefix) or an exact host; both sides lower-cased. */
export function matchDomain(pattern: string, host: string): bool {
  if (pattern.startsWith("*")) return host.endsWith(pattern.substring(1));
  if (pattern.endsWith("*")) return host.startsWith(pattern.substring(0, pattern.length - 1));
  return host == pattern;
}

/** A cluster name `outbound|port|subset|fqdn` against `fqdn` or `fqdn:port` entries. */
export function matchService(services: string[], clusterName: string): bool {
  const parts = clusterName.split("|");
  if (parts.length != 4) return false;
  const fqdn = parts[3];
  const withPort = fqdn + ":" + parts[1];
  for (let i = 0; i < services.length; i++) {
    if (services[i] == fqdn || services[i] == withPort) return true;
  }
  return false;
}

/** The `:authority` without its port, lower-cased (`[::1]:80` → `[::1]`). */
export function normalizeHost(authority: string): string {
  let h = authority;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end > 0) h = h.substring(0, end + 1);
  } else {
    const colon = h.lastIndexOf(":");
    if (colon >= 0 && h.indexOf(":") == colon) h = h.substring(0, colon);
  }
  return h.toLowerCase();
}

function contains(list: string[], s: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == s) return true;
  return false;
}

/** `consumer` is the request's x-mse-consumer header ("" when absent); only consumer rules look at it. */
export function ruleMatches(m: RuleMatch, route: string, host: string, cluster: string, consumer: string): bool {
  switch (m.kind) {
    case RuleKind.Route: return contains(m.routes, route);
    case RuleKind.RouteAndService: return contains(m.routes, route) && matchService(m.services, cluster);
    case RuleKind.Domain: {
      for (let i = 0; i < m.domains.length; i++) if (matchDomain(m.domains[i], host)) return true;
      return false;
    }
    case RuleKind.Service: return matchService(m.services, cluster);
    case RuleKind.RoutePrefix: {
      for (let i = 0; i < m.routePrefixes.length; i++) if (route.startsWith(m.routePrefixes[i])) return true;
      return false;
    }
    case RuleKind.RoutePrefixAndConsumer: {
      if (!contains(m.consumers, consumer)) return false;
      for (let i = 0; i < m.routePrefixes.length; i++) if (route.startsWith(m.routePrefixes[i])) return true;
      return false;
    }
  }
  return false;
}

/** The configuration object without the keys the matcher owns. */
export function withoutMatcherKeys(config: JsonValue): JsonValue {
  const out = new JsonValue();
  out.kind = config.kind;
  if (!config.isObject()) return config;
  const names = new Array<string>(), items = new Array<JsonValue>();
  const keys = config.names!, values = config.items!;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k == RULES_KEY || k == PLUGIN_ID_KEY) continue;
    names.push(k);
    items.push(values[i]);
  }
  out.names = names;
  out.items = items;
  return out;
}

function sortedJoin(list: string[]): string {
  const copy = list.slice(0);
  copy.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  return copy.join(",");
}

/**
 * A key naming a rule by its match conditions (kind, routes, services, prefixes, domains, each sorted),
 * as wasm-go keys its rule backups: a rule whose config changes but whose matchers do not keeps its key.
 */
export function ruleKey(m: RuleMatch): string {
  let key = "kind:" + (<i32>m.kind).toString();
  if (m.routes.length > 0) key += "|routes:" + sortedJoin(m.routes);
  if (m.services.length > 0) key += "|services:" + sortedJoin(m.services);
  if (m.routePrefixes.length > 0) key += "|prefixes:" + sortedJoin(m.routePrefixes);
  if (m.consumers.length > 0) key += "|consumers:" + sortedJoin(m.consumers);
  if (m.domains.length > 0) key += "|domains:" + sortedJoin(m.domains);
  return key;
}

/** The last rule JSON (text) that parsed, per ruleKey; VM-wide, so it outlives a reconfiguration. */
export const ruleBackups = new Map<string, string>();
