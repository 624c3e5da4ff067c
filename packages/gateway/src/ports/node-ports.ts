/**
 * HostPorts backed by Node: real clocks and timers, HTTP and gRPC callouts and Redis calls resolved through
 * the configured Services (Istio cluster names → endpoints), and plugin logs into the gateway log.
 * One instance per generation (per worker): callouts from a request still finishing on an old
 * generation resolve clusters in that generation's config, and its connections close with it.
 * Shared data, queues and metrics are the process-wide stores passed in, so they survive reloads.
 */
import { randomFillSync } from 'node:crypto';
import {
  LogLevel,
  type GrpcCallRequest, type GrpcEvents, type GrpcHandle, type HostPorts, type HttpCallRequest, type HttpCallResponse, type MetricStore, type RedisInitRequest, type SharedDataStore, type SharedQueueStore,
} from '@wasmgate/host';
import { findCluster } from '../config/find-cluster.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { GrpcClient } from '../services/grpc-client.js';
import { CalloutError, createCalloutAgent, httpCallout, type CalloutAgent } from '../services/http-callout.js';
import { RedisClient, parseRedisCluster } from '../services/redis-client.js';
import { clientSpan } from '../observability/tracing.js';

export interface NodePorts extends HostPorts {
  /** Closes callout connections and Redis clients (when the generation is released). */
  close(): void;
}

/** The process-wide stores every generation's ports share. */
export interface SharedStores {
  readonly sharedData: SharedDataStore;
  readonly sharedQueues: SharedQueueStore;
  readonly metrics: MetricStore;
}

const origin = process.hrtime.bigint();

export function createNodePorts(config: Config, logger: Logger, stores: SharedStores): NodePorts {
  const agent: CalloutAgent = createCalloutAgent();
  const redis = new Map<string, RedisClient>();
  const grpc = new GrpcClient();
  let rr = 0;

  const pick = <T>(list: readonly T[]): T | undefined => list[rr++ % Math.max(1, list.length)];

  /** proxy_grpc_call / proxy_grpc_stream: `service` is a cluster name, resolved like HTTP callouts. */
  function openGrpc(req: GrpcCallRequest, events: GrpcEvents, unary: boolean): GrpcHandle | 'unknown_cluster' {
    const target = findCluster(config, req.cluster);
    const endpoint = target && pick(target.endpoints);
    if (!target || !endpoint) {
      logger.log(LogLevel.warn, `[${req.plugin}] ${unary ? 'proxy_grpc_call' : 'proxy_grpc_stream'} to unknown cluster "${req.cluster}"`, {
        hint: 'declare a wasmgate.io/v1alpha1 Service whose name, namespace or aliases match the cluster (the service argument, or its envoy_grpc.cluster_name)',
      });
      return 'unknown_cluster';
    }
    const authority = target.service.fqdn;
    return grpc.open(
      { host: endpoint.host, port: endpoint.port, tls: target.service.tls, servername: target.service.sni, authority },
      { service: req.service, method: req.method, metadata: req.initialMetadata, timeoutMs: req.timeoutMs, unary, message: req.message },
      events,
    );
  }

  return {
    nowNanos: () => BigInt(Date.now()) * 1_000_000n,
    monotonicNanos: () => process.hrtime.bigint() - origin,
    setTimer(ms, fn) {
      const t = setTimeout(fn, ms);
      t.unref();
      return () => clearTimeout(t);
    },
    randomBytes: (into) => void randomFillSync(into),
    log(r) {
      logger.log(r.level, `[${r.plugin}] ${r.message}`, r.source === 'proxy_log' ? undefined : { source: r.source });
    },
    logLevel: () => logger.level,
    sharedData: stores.sharedData,
    sharedQueues: stores.sharedQueues,
    metrics: stores.metrics,

    httpCall(req: HttpCallRequest): Promise<HttpCallResponse> | 'unknown_cluster' {
      const target = findCluster(config, req.cluster);
      const endpoint = target && pick(target.endpoints);
      if (!target || !endpoint) {
        logger.log(LogLevel.warn, `[${req.plugin}] proxy_http_call to unknown cluster "${req.cluster}"`, {
          hint: 'declare a wasmgate.io/v1alpha1 Service whose name, namespace or aliases match the cluster',
        });
        return 'unknown_cluster';
      }
      const get = (n: string) => req.headers.find(([k]) => k === n)?.[1] ?? '';
      const headers: [string, string][] = req.headers.filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, v]);
      // Inside a traced plugin callback: a CLIENT span, and its traceparent on the callout.
      const span = clientSpan(`callout ${req.cluster}`, { 'wasmgate.plugin': req.plugin, 'wasmgate.cluster': req.cluster, 'http.request.method': get(':method'), 'server.address': get(':authority') }, headers);
      return httpCallout(
        { host: endpoint.host, port: endpoint.port, tls: target.service.tls, servername: target.service.sni, method: get(':method'), path: get(':path'), authority: get(':authority'), headers, body: req.body, timeoutMs: req.timeoutMs },
        { agent },
      ).then((r) => {
        span?.(r.status >= 500 ? `status ${r.status}` : undefined);
        return { headers: r.headers, body: r.body, trailers: r.trailers };
      }, (e: unknown) => {
        span?.((e as Error).message);
        const answer = envoyAnswerFor(e);
        if (!answer) throw e;
        logger.log(LogLevel.debug, `[${req.plugin}] proxy_http_call to "${req.cluster}": ${(e as Error).message}; the plugin gets a ${answer.headers[0]![1]}`);
        return answer;
      });
    },

    grpcCall: (req, events) => openGrpc(req, events, true),
    grpcStream: (req, events) => openGrpc(req, events, false),

    redisInit(req: RedisInitRequest) {
      const parsed = parseRedisCluster(req.cluster);
      const target = findCluster(config, parsed.cluster);
      const endpoint = target?.endpoints[0];
      if (!target || !endpoint) return 'unknown_cluster';
      redis.get(parsed.cluster)?.close();
      redis.set(parsed.cluster, new RedisClient({
        host: endpoint.host, port: endpoint.port, username: req.username || undefined, password: req.password || undefined,
        db: parsed.db, timeoutMs: req.timeoutMs || 1000,
      }));
      return 'ok';
    },

    redisCall(cluster: string, query: Uint8Array, plugin: string) {
      const client = redis.get(parseRedisCluster(cluster).cluster);
      if (!client) return 'unknown_cluster';
      const span = clientSpan(`redis ${cluster}`, { 'db.system': 'redis', 'wasmgate.plugin': plugin, 'wasmgate.cluster': cluster });
      if (!span) return client.call(query);
      return client.call(query).then((r) => { span(); return r; }, (e: unknown) => { span((e as Error).message); throw e; });
    },

    close() {
      agent.destroy();
      grpc.close();
      for (const c of redis.values()) c.close();
      redis.clear();
    },
  };
}

/**
 * Envoy's async HTTP client answers a callout that timed out or could not connect itself, with the
 * router's local reply, so the plugin's proxy_on_http_call_response sees a normal 504/503 response
 * (reference §3; the testing harness answers timeouts the same way). Only a reset after the
 * connection was made, or an oversized body, reaches the plugin as a failed call (0, 0, 0).
 */
function envoyAnswerFor(e: unknown): HttpCallResponse | undefined {
  if (!(e instanceof CalloutError)) return undefined;
  if (e.kind === 'timeout') return localAnswer(504, 'upstream request timeout');
  if (e.kind === 'connect') return localAnswer(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
  return undefined;
}

function localAnswer(status: number, text: string): HttpCallResponse {
  const body = new TextEncoder().encode(text);
  return { headers: [[':status', String(status)], ['content-length', String(body.length)], ['content-type', 'text/plain']], body, trailers: [] };
}
