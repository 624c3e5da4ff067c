/**
 * Resolves the optional `Gateway` manifest and the CLI overrides into `GatewaySettings`.
 * @module
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { isScalar } from 'yaml';
import type { SourceLocation } from '@wasmgate/host';
import { formatHostPort, parseHostPort } from './address.js';
import { ENVOY_DEFAULT_FORMAT, parseFormatString, parseJsonFormat, type AccessLogFormat } from './access-log-format.js';
import { configError } from './errors.js';
import { resolveAdminSecurity } from './resolve-admin.js';
import { linePos } from './parse.js';
import { locate } from './locate.js';
import type { ResolveContext } from './resolve-context.js';
import type { ConfigOverrides, GatewaySettings, HostPort } from './types.js';
import type { Manifest } from './validate.js';

type GatewayManifest = Extract<Manifest, { kind: 'Gateway' }>;

/** Defaults when there is no Gateway manifest, or it leaves a field out. */
export const GATEWAY_DEFAULTS = Object.freeze({
  listen: Object.freeze({ host: '127.0.0.1', port: 8080 }),
  admin: Object.freeze({ host: '127.0.0.1', port: 15000 }),
  // 1 MiB for request and response, the per-connection buffer limit Higress configures in Envoy.
  requestBodyBufferBytes: 1048576,
  responseBodyBufferBytes: 1048576,
  upstreamTimeoutMs: 15000,
  logLevel: 'info',
  // cpp-host's compile-time cap is 1 GiB; Higress rebuilds at 800 MiB.
  maxMemoryMiB: 1024,
  // A Proxy-Wasm callback runs on a request's hot path; one that takes a second is already broken.
  callTimeoutMs: 1000,
  // A Go VM starts in 20–40 ms; configure may parse a large configuration.
  startTimeoutMs: 10000,
  drainTimeoutMs: 10000,
  maxConnections: 256,
  maxPendingRequests: 1024,
} as const);

/** Builds the gateway settings; `m` is the one Gateway manifest, if any. */
export function resolveGateway(m: GatewayManifest | undefined, overrides: ConfigOverrides, ctx: ResolveContext): GatewaySettings {
  const spec = m?.spec ?? {};
  const base = m ? dirname(m.parsed.file) : undefined;
  const address = (field: 'listen' | 'admin' | 'listenTls'): HostPort | undefined => {
    const fallback = field === 'listenTls' ? undefined : GATEWAY_DEFAULTS[field];
    const flag = overrides[field];
    if (flag !== undefined) {
      const parsed = parseHostPort(flag, true);
      if (parsed.ok) return parsed.value;
      const flagName = field === 'listenTls' ? 'listen-tls' : field;
      ctx.errors.push(configError('WG_CONFIG_INVALID', `--${flagName} "${flag}" ${parsed.reason}`, { path: `--${flagName}` }));
      return fallback;
    }
    const text = spec[field];
    if (text === undefined || !m) return fallback;
    const parsed = parseHostPort(text, true);
    if (parsed.ok) return parsed.value;
    ctx.error('WG_CONFIG_INVALID', m, ['spec', field], `${field} "${text}" ${parsed.reason}`);
    return fallback;
  };
  const listen = address('listen')!;
  const admin = address('admin')!;
  const listenTls = address('listenTls');
  if (listenTls && listenTls.port !== 0 && [listen, admin].some((a) => formatHostPort(a) === formatHostPort(listenTls))) {
    const message = `listenTls ${formatHostPort(listenTls)} is also the listen or admin address; it needs its own port`;
    if (m && overrides.listenTls === undefined) ctx.error('WG_CONFIG_INVALID', m, ['spec', 'listenTls'], message);
    else ctx.errors.push(configError('WG_CONFIG_INVALID', message, { path: '--listen-tls' }));
  }
  if (listen.port !== 0 && formatHostPort(listen) === formatHostPort(admin)) {
    const message = `listen and admin are both ${formatHostPort(listen)}; they need different ports`;
    if (m && overrides.admin === undefined) ctx.error('WG_CONFIG_INVALID', m, ['spec', 'admin'], message);
    else ctx.errors.push(configError('WG_CONFIG_INVALID', message, { path: '--admin' }));
  }
  // Paths in a manifest are relative to the manifest, like a WasmPlugin's file url.
  const path = (p: string) => (isAbsolute(p) || base === undefined ? p : resolve(base, p));
  const target = typeof spec.accessLog === 'object' ? spec.accessLog.path : spec.accessLog;
  const accessLog = target === undefined ? undefined : target === 'stdout' ? 'stdout' : path(target);
  const accessLogFormat = m && typeof spec.accessLog === 'object' ? resolveAccessLogFormat(m, spec.accessLog, ctx) : undefined;
  return {
    listen,
    admin,
    ...(listenTls ? { listenTls } : {}),
    ...resolveAdminSecurity(m, admin, overrides, ctx),
    ...(accessLog !== undefined ? { accessLog } : {}),
    ...(accessLogFormat !== undefined ? { accessLogFormat } : {}),
    limits: {
      requestBodyBufferBytes: spec.limits?.requestBodyBufferBytes ?? GATEWAY_DEFAULTS.requestBodyBufferBytes,
      responseBodyBufferBytes: spec.limits?.responseBodyBufferBytes ?? GATEWAY_DEFAULTS.responseBodyBufferBytes,
      maxMemoryMiB: spec.limits?.maxMemoryMiB ?? GATEWAY_DEFAULTS.maxMemoryMiB,
      callTimeoutMs: spec.limits?.callTimeoutMs ?? GATEWAY_DEFAULTS.callTimeoutMs,
      startTimeoutMs: spec.limits?.startTimeoutMs ?? GATEWAY_DEFAULTS.startTimeoutMs,
    },
    ...(overrides.workers !== undefined ? { workers: overrides.workers } : spec.workers !== undefined ? { workers: spec.workers } : {}),
    drainTimeoutMs: spec.drainTimeoutMs ?? GATEWAY_DEFAULTS.drainTimeoutMs,
    upstreamTimeoutMs: spec.upstreamTimeoutMs ?? GATEWAY_DEFAULTS.upstreamTimeoutMs,
    edge: {
      useRemoteAddress: spec.edge?.useRemoteAddress ?? true,
      xffNumTrustedHops: spec.edge?.xffNumTrustedHops ?? 0,
      preserveRequestId: spec.edge?.preserveRequestId ?? true,
      stripEnvoyHeaders: spec.edge?.stripEnvoyHeaders ?? true,
    },
    upstreamPool: {
      maxConnections: spec.upstreamPool?.maxConnections ?? GATEWAY_DEFAULTS.maxConnections,
      maxPendingRequests: spec.upstreamPool?.maxPendingRequests ?? GATEWAY_DEFAULTS.maxPendingRequests,
    },
    ...(spec.imagePullSecret !== undefined ? { imagePullSecret: path(spec.imagePullSecret) } : {}),
    insecureRegistries: [...(spec.insecureRegistries ?? [])],
    logLevel: spec.logLevel ?? GATEWAY_DEFAULTS.logLevel,
    ...(spec.tracing && m && otlpEndpointOk(m, spec.tracing.otlpEndpoint, ctx)
      ? { tracing: { otlpEndpoint: spec.tracing.otlpEndpoint, samplingRatio: spec.tracing.samplingRatio ?? 1, serviceName: spec.tracing.serviceName ?? 'wasmgate' } }
      : {}),
    ...(m ? { location: locate(m.parsed, ['metadata', 'name']) } : {}),
  };
}

/**
 * `accessLog.format` / `accessLog.jsonFormat`, parsed once here; a bad operator is a
 * WG_CONFIG_ACCESS_LOG_FORMAT error at the field, with the character it starts at.
 */
function resolveAccessLogFormat(
  m: GatewayManifest, spec: { format?: string; jsonFormat?: Record<string, unknown> }, ctx: ResolveContext,
): AccessLogFormat | undefined {
  const at = ['spec', 'accessLog'];
  if (spec.format !== undefined && spec.jsonFormat !== undefined) {
    ctx.error('WG_CONFIG_ACCESS_LOG_FORMAT', m, [...at, 'jsonFormat'], 'accessLog has both format and jsonFormat; keep one');
    return undefined;
  }
  if (spec.format !== undefined) {
    const parsed = parseFormatString(spec.format === 'default' ? ENVOY_DEFAULT_FORMAT : spec.format);
    if ('tokens' in parsed) return { kind: 'text', tokens: parsed.tokens };
    const where = spec.format === 'default' ? locate(m.parsed, [...at, 'format']) : atCharacter(m, [...at, 'format'], parsed.problem.index);
    ctx.errors.push(configError('WG_CONFIG_ACCESS_LOG_FORMAT', `${parsed.problem.message} (character ${parsed.problem.index + 1} of the format)`, where));
    return undefined;
  }
  if (spec.jsonFormat !== undefined) {
    const parsed = parseJsonFormat(spec.jsonFormat);
    if ('fields' in parsed) return { kind: 'json', fields: parsed.fields };
    const where = atCharacter(m, [...at, 'jsonFormat', ...parsed.problem.path], parsed.problem.index);
    ctx.errors.push(configError('WG_CONFIG_ACCESS_LOG_FORMAT', `${parsed.problem.message} (character ${parsed.problem.index + 1} of the value)`, where));
  }
  return undefined;
}

/**
 * The location of character `index` of the string at `path`: exact when the scalar is written
 * as it reads (plain or quoted, on one line, without escapes); else the scalar's own location.
 */
function atCharacter(m: GatewayManifest, path: readonly string[], index: number): SourceLocation {
  const at = locate(m.parsed, path);
  const node = m.parsed.doc.getIn(path, true);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return at;
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  if (!quoted && node.type !== 'PLAIN') return at;
  const [start, end] = node.range;
  if (end - start !== node.value.length + (quoted ? 2 : 0)) return at;
  return { ...at, ...linePos(m.parsed.lineCounter, start + (quoted ? 1 : 0) + index) };
}

/** `tracing.otlpEndpoint` must be an http(s) URL (the OTLP/HTTP exporter posts spans to it as is). */
function otlpEndpointOk(m: GatewayManifest, endpoint: string, ctx: ResolveContext): boolean {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return true;
  ctx.error('WG_CONFIG_INVALID', m, ['spec', 'tracing', 'otlpEndpoint'], `tracing.otlpEndpoint "${endpoint}" is not an http:// or https:// URL (e.g. http://127.0.0.1:4318/v1/traces)`);
  return false;
}
