/**
 * The properties a plugin reads with proxy_get_property during a test stream. The built-in
 * attributes come from the host's resolver (@wasmgate/host attributes/), the same one the gateway
 * uses, fed with the harness's facts below; the test can set or hide anything per plugin or per
 * stream on top.
 *
 * Lookup order: the stream's `properties`, then loadPlugin's `properties`, then the built-in
 * attributes. A `null` at any level makes the property absent. Keys are dotted paths; a plugin's
 * NUL-separated path (`response\0code_details`) finds the same key.
 * @module
 */
import { attributeKey, type Peer, type PropertyValue, type StreamFacts, type UpstreamFacts } from '@wasmgate/host';
import { toPropertyValue, type PropertyInput } from './input.js';

/**
 * What every stream sees unless told otherwise: Envoy always knows the connection's addresses and
 * protocol, and plugins (ip-restriction, logging) read them without checking for NotFound. The
 * values are the harness's facts; tests may override each key like any other property.
 */
export const DEFAULT_STREAM_PROPERTIES: Readonly<Record<string, PropertyValue>> = {
  'request.protocol': 'HTTP/1.1',
  'source.address': '127.0.0.1:54321',
  'source.port': 54321n,
  'destination.address': '127.0.0.1:8080',
  'destination.port': 8080n,
  'upstream.address': '127.0.0.1:8081',
  'upstream.port': 8081n,
  'upstream.local_address': '127.0.0.1:54322',
};

const SOURCE: Peer = { ip: '127.0.0.1', port: 54321 };
const DESTINATION: Peer = { ip: '127.0.0.1', port: 8080 };
const UPSTREAM: UpstreamFacts = { address: { ip: '127.0.0.1', port: 8081 }, localAddress: { ip: '127.0.0.1', port: 54322 }, transportFailureReason: '' };

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

/** What the harness knows of one stream, beyond what the chain sees. @internal */
export interface HarnessStreamState {
  /** Virtual-clock ns when the stream started, and now. */
  readonly startNanos: bigint;
  nowNanos(): bigint;
  /** The stream's connection id (one connection per stream in the harness). */
  readonly connectionId: bigint;
  /** True once request headers went upstream (then Envoy knows its upstream host). */
  upstreamChosen(): boolean;
}

/** The StreamOptions.property of one test stream: the test's layers (null = NotFound). @internal */
export function streamOverrideFn(stream: PropertyLayer, plugin: PropertyLayer): (path: readonly string[]) => PropertyValue | null | undefined {
  return (path) => {
    const key = attributeKey(path);
    for (const layer of [stream, plugin]) {
      const v = layer.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** The harness's facts for the host's attribute resolver. @internal */
export function harnessFacts(stream: PropertyLayer, plugin: PropertyLayer, state: HarnessStreamState): StreamFacts {
  const text = (key: string): string | undefined => {
    for (const layer of [stream, plugin]) {
      const v = layer.get(key);
      if (v !== undefined) return typeof v === 'string' ? v : undefined;
    }
    return undefined;
  };
  return {
    startNanos: state.startNanos,
    nowNanos: () => state.nowNanos(),
    protocol: 'HTTP/1.1',
    scheme: 'http',
    source: SOURCE,
    destination: DESTINATION,
    connectionId: state.connectionId,
    requestedServerName: '',
    listenerDirection: 2n,
    routeName: () => text('route_name') ?? text('xds.route_name'),
    clusterName: () => text('cluster_name') ?? text('xds.cluster_name'),
    upstream: () => (state.upstreamChosen() ? UPSTREAM : undefined),
  };
}

/** Node-level properties (`node.*`, `listener_*`, `xds.*`) are also visible from root contexts. @internal */
export function nodePropertyFn(plugin: PropertyLayer): (path: readonly string[]) => PropertyValue | undefined {
  return (path) => {
    const key = attributeKey(path);
    const first = key.split('.')[0] ?? '';
    if (first !== 'node' && first !== 'xds' && !first.startsWith('listener_')) return undefined;
    return plugin.get(key) ?? undefined;
  };
}
