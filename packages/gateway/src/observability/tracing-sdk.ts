/**
 * OpenTelemetry tracing of the data plane, when the Gateway manifest has `tracing`. Each worker
 * thread has its own TracerProvider and OTLP/HTTP (JSON) exporter (module state, replaced when the
 * settings change on a reload); nothing is registered globally. Per exchange: a SERVER span whose
 * parent is the incoming `traceparent` (or B3 `x-b3-*`), an INTERNAL child per plugin callback,
 * and a CLIENT child per callout or Redis call a plugin makes during a callback. The upstream and
 * callouts get the span's `traceparent`/`tracestate` (and B3 headers when the request had them).
 * Plugins add span attributes with properties `trace_span_tag.<key>` (wasm-go's
 * WriteUserAttributeToTrace). See docs/observability.md, "Tracing". Loaded on demand through
 * tracing.ts, so a gateway without `tracing` never loads the SDK.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import {
  ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Span, type TextMapGetter, type TextMapSetter, type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider as TracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { ChainFilter, FilterPhase, HeaderMap } from '@wasmgate/host';
import type { Config, TracingSettings } from '../config/types.js';

/** Property prefix a plugin uses to add an attribute to the request's span (Higress). */
export const TRACE_SPAN_TAG = 'trace_span_tag.';

interface ThreadTracer {
  readonly key: string;
  readonly provider: TracerProvider;
  readonly tracer: Tracer;
}

let current: ThreadTracer | undefined;

function tracerFor(s: TracingSettings): Tracer {
  const key = JSON.stringify([s.otlpEndpoint, s.samplingRatio, s.serviceName]);
  if (current?.key === key) return current.tracer;
  const old = current;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': s.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.samplingRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: s.otlpEndpoint }), { scheduledDelayMillis: 1000 })],
  });
  current = { key, provider, tracer: provider.getTracer('wasmgate') };
  void old?.provider.shutdown().catch(() => undefined);
  return current.tracer;
}

/** Exports what this thread has buffered (worker shutdown, tests). */
export async function flushTracing(): Promise<void> {
  await current?.provider.forceFlush().catch(() => undefined);
}

const w3c = new W3CTraceContextPropagator();
const mapGetter: TextMapGetter<HeaderMap> = {
  keys: (m) => [...m.pairs].map(([k]) => k),
  get: (m, k) => m.get(k) ?? undefined,
};
const recordSetter: TextMapSetter<OutgoingHttpHeaders> = {
  set: (c, k, v) => { c[k] = v; },
};

/** The remote parent from `traceparent`/`tracestate`, else from B3 (multi-header or `b3`). */
function extract(headers: HeaderMap): { ctx: Context; b3: boolean } {
  if (headers.has('traceparent')) return { ctx: w3c.extract(ROOT_CONTEXT, headers, mapGetter), b3: false };
  let traceId = headers.get('x-b3-traceid');
  let spanId = headers.get('x-b3-spanid');
  let sampled = headers.get('x-b3-sampled') ?? (headers.get('x-b3-flags') === '1' ? '1' : undefined);
  const single = headers.get('b3');
  if (!traceId && single) [traceId, spanId, sampled] = single.split('-');
  if (!traceId || !spanId || !/^[0-9a-f]{16}([0-9a-f]{16})?$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId)) return { ctx: ROOT_CONTEXT, b3: false };
  const ctx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceId.padStart(32, '0'), spanId, isRemote: true,
    traceFlags: sampled === '0' ? TraceFlags.NONE : TraceFlags.SAMPLED,
  });
  return { ctx, b3: true };
}

/** Writes the span's context into outgoing headers (W3C always; B3 when the request used it). */
function inject(ctx: Context, out: OutgoingHttpHeaders, b3: boolean): void {
  w3c.inject(ctx, out, recordSetter);
  if (!b3) return;
  const sc = trace.getSpanContext(ctx);
  if (!sc) return;
  out['x-b3-traceid'] = sc.traceId;
  out['x-b3-spanid'] = sc.spanId;
  out['x-b3-sampled'] = sc.traceFlags & TraceFlags.SAMPLED ? '1' : '0';
  delete out['x-b3-parentspanid'];
  delete out['b3'];
}

/**
 * The contexts of the plugin callbacks running now (innermost last): a callout or Redis call made
 * during a callback becomes a child of its span. Callbacks never interleave on a thread.
 */
const running: { ctx: Context; b3: boolean }[] = [];

export class ExchangeTrace {
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #ctx: Context;
  readonly #b3: boolean;
  readonly #phases: (Span | undefined)[] = [];

  constructor(tracer: Tracer, req: IncomingMessage, headers: HeaderMap) {
    const parent = extract(headers);
    this.#tracer = tracer;
    this.#b3 = parent.b3;
    const method = req.method ?? 'GET';
    this.#span = tracer.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method, 'url.path': (req.url ?? '/').split('?')[0]!, 'server.address': headers.get(':authority') ?? '',
        'network.protocol.version': req.httpVersion, ...(headers.get('x-request-id') ? { 'http.request.header.x-request-id': headers.get('x-request-id')! } : {}),
      },
    }, parent.ctx);
    this.#ctx = trace.setSpan(parent.ctx, this.#span);
  }

  phaseStart(filter: ChainFilter, _index: number, phase: FilterPhase): void {
    if (!this.#span.isRecording()) {
      // An unsampled trace gets no child spans; callouts still carry its traceparent.
      this.#phases.push(undefined);
      running.push({ ctx: this.#ctx, b3: this.#b3 });
      return;
    }
    const span = this.#tracer.startSpan(`${filter.name} ${phase}`, {
      kind: SpanKind.INTERNAL, attributes: { 'wasmgate.plugin': filter.name, 'wasmgate.phase': phase },
    }, this.#ctx);
    this.#phases.push(span);
    running.push({ ctx: trace.setSpan(this.#ctx, span), b3: this.#b3 });
  }

  phaseEnd(_filter: ChainFilter, _index: number, _phase: FilterPhase): void {
    this.#phases.pop()?.end();
    running.pop();
  }

  injectUpstream(out: OutgoingHttpHeaders): void {
    inject(this.#ctx, out, this.#b3);
  }

  upstreamStatus(status: number): void {
    this.#span.setAttribute('wasmgate.upstream.status_code', status);
  }

  /** A plugin set a property: `trace_span_tag.<key>` becomes attribute `<key>`. */
  propertySet(key: string, value: Uint8Array): void {
    if (key.startsWith(TRACE_SPAN_TAG) && key.length > TRACE_SPAN_TAG.length) {
      this.#span.setAttribute(key.slice(TRACE_SPAN_TAG.length), new TextDecoder().decode(value));
    }
  }

  end(e: { route: string | undefined; cluster: string | undefined; method: string | undefined; status: number }): void {
    const s = this.#span;
    if (e.route) {
      s.updateName(`${e.method ?? 'GET'} ${e.route}`);
      s.setAttribute('http.route', e.route);
    }
    if (e.cluster) s.setAttribute('wasmgate.cluster', e.cluster);
    if (e.status) s.setAttribute('http.response.status_code', e.status);
    if (e.status >= 500 || e.status === 0) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end();
  }
}

/** The trace of one exchange, or undefined when the generation does not trace. */
export function exchangeTrace(config: Config, req: IncomingMessage, headers: HeaderMap): ExchangeTrace | undefined {
  const settings = config.gateway.tracing;
  if (!settings) return undefined;
  return new ExchangeTrace(tracerFor(settings), req, headers);
}

/**
 * A CLIENT span for a callout or Redis call made inside a plugin callback (none outside one, or
 * when tracing is off); `headers` (for HTTP) get its traceparent. Returns the function ending it.
 */
export function clientSpan(name: string, attributes: Record<string, string | number>, headers?: [string, string][]): ((error?: string) => void) | undefined {
  const top = running[running.length - 1];
  if (!top || !current) return undefined;
  const parent = trace.getSpan(top.ctx);
  if (parent && !parent.isRecording()) {
    // Unsampled: no span, but the callout still continues the trace (with the sampled flag off).
    if (headers) injectInto(top.ctx, headers, top.b3);
    return () => undefined;
  }
  const span = current.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, top.ctx);
  if (headers) injectInto(trace.setSpan(top.ctx, span), headers, top.b3);
  return (error) => {
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
  };
}

/** Replaces the trace headers of a callout's header list with those of `ctx`. */
function injectInto(ctx: Context, headers: [string, string][], b3: boolean): void {
  const out: OutgoingHttpHeaders = {};
  inject(ctx, out, b3);
  const names = new Set(Object.keys(out));
  for (let i = headers.length - 1; i >= 0; i--) if (names.has(headers[i]![0].toLowerCase())) headers.splice(i, 1);
  for (const [k, v] of Object.entries(out)) if (v !== undefined) headers.push([k, String(v)]);
}
