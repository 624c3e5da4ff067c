/**
 * The properties a plugin reads with proxy_get_property during a test stream. Envoy derives most
 * request attributes from the headers, so the harness does too (`request.path` follows `:path`,
 * even after a plugin rewrote it); the test can set or hide anything per plugin or per stream.
 *
 * Lookup order: the stream's `properties`, then loadPlugin's `properties`, then the values derived
 * from the headers, then the defaults below. A `null` at any level makes the property absent.
 * Values a plugin stored with proxy_set_property come before all of these (the host keeps them).
 * @module
 */
import type { HeaderMap, PropertyValue } from '@wasmgate/host';
import { toPropertyValue, type PropertyInput } from './input.js';

/**
 * What every stream sees unless told otherwise: Envoy always knows the connection's addresses and
 * protocol, and plugins (ip-restriction, logging) read them without checking for NotFound.
 */
export const DEFAULT_STREAM_PROPERTIES: Readonly<Record<string, PropertyValue>> = {
  'request.protocol': 'HTTP/1.1',
  'source.address': '127.0.0.1:54321',
  'source.port': 54321n,
  'destination.address': '127.0.0.1:8080',
  'destination.port': 8080n,
};

/** Properties keyed by their dotted path (`request.path`, `route_name`). @internal */
export type PropertyLayer = ReadonlyMap<string, PropertyValue | null>;

/** @internal */
export function propertyLayer(input: Readonly<Record<string, PropertyInput>> | undefined): PropertyLayer {
  const out = new Map<string, PropertyValue | null>();
  for (const [k, v] of Object.entries(input ?? {})) {
    const value = toPropertyValue(v);
    if (value !== undefined) out.set(k, value);
  }
  return out;
}

/** What the derived attributes are computed from. @internal */
export interface StreamFacts {
  requestHeaders(): HeaderMap | undefined;
  responseHeaders(): HeaderMap | undefined;
  /** Wall-clock ns when the stream started (`request.time`). */
  readonly startNanos: bigint;
}

/** Attributes Envoy computes from the request and response. */
function derived(key: string, f: StreamFacts): PropertyValue | undefined {
  const req = f.requestHeaders();
  const path = req?.get(':path');
  switch (key) {
    case 'request.path':
      return path;
    case 'request.url_path':
      return path?.split('?')[0];
    case 'request.query':
      return path === undefined ? undefined : path.includes('?') ? path.slice(path.indexOf('?') + 1) : '';
    case 'request.host':
      return req?.get(':authority') ?? req?.get('host');
    case 'request.scheme':
      return req?.get(':scheme');
    case 'request.method':
      return req?.get(':method');
    case 'request.headers':
      return req && { map: req.ordered() };
    case 'request.referer':
      return req?.get('referer');
    case 'request.useragent':
      return req?.get('user-agent');
    case 'request.id':
      return req?.get('x-request-id');
    case 'request.time':
      return f.startNanos;
    default:
      break;
  }
  const resp = f.responseHeaders();
  switch (key) {
    case 'response.code': {
      const status = Number(resp?.get(':status'));
      return Number.isInteger(status) ? BigInt(status) : undefined;
    }
    case 'response.headers':
      return resp && { map: resp.ordered() };
    default:
      return undefined;
  }
}

/** The StreamOptions.property of one test stream. @internal */
export function streamPropertyFn(stream: PropertyLayer, plugin: PropertyLayer, facts: StreamFacts): (path: readonly string[]) => PropertyValue | undefined {
  return (path) => {
    const key = path.join('.');
    for (const layer of [stream, plugin]) {
      const v = layer.get(key);
      if (v !== undefined) return v ?? undefined;
    }
    return derived(key, facts) ?? DEFAULT_STREAM_PROPERTIES[key];
  };
}

/** Node-level properties (`node.*`, `listener_*`, `xds.*`) are also visible from root contexts. @internal */
export function nodePropertyFn(plugin: PropertyLayer): (path: readonly string[]) => PropertyValue | undefined {
  return (path) => {
    const first = path[0] ?? '';
    if (first !== 'node' && first !== 'xds' && !first.startsWith('listener_')) return undefined;
    return plugin.get(path.join('.')) ?? undefined;
  };
}
