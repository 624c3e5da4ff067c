/**
 * What one exchange reports to metrics (and, when the Gateway configures it, tracing): the plugin
 * phase timings through the host's PhaseTiming hook, the upstream call, and the end. One recorder
 * per worker thread (module state); the supervisor reads its snapshot with the worker status.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { ChainFilter, FilterPhase, HeaderMap, PhaseTiming } from '@wasmgate/host';
import type { Config } from '../config/types.js';
import {
  FAMILIES, METHOD_CLASSES, MetricsRecorder, PLUGIN_BUCKETS, STATUS_CLASSES, methodIndex, observeIn, statusIndex, type CounterSeries, type Hist,
} from './metrics.js';
import { exchangeTrace, type ExchangeTrace } from './tracing.js';

/** This thread's recorder (every worker has its own; the supervisor's stays empty). */
export const workerMetrics = new MetricsRecorder();

/** Per plugin name, its phase histograms (looked up once per callback without building a label key). */
const phaseSeries = new Map<string, Partial<Record<FilterPhase, Hist>>>();
function phaseHistogram(plugin: string, phase: FilterPhase): Hist {
  let byPhase = phaseSeries.get(plugin);
  if (!byPhase) phaseSeries.set(plugin, (byPhase = {}));
  return (byPhase[phase] ??= workerMetrics.histogram('pluginPhase', [plugin, phase]));
}

/**
 * The series one (route, cluster) pair records into, found with two Map lookups on the
 * configuration's own name strings per exchange. Recording through the recorder joined a label key
 * and looked it up for each of the four or five metrics of every request.
 */
class RouteSeries {
  readonly #route: string;
  readonly #cluster: string;
  // Every series is made on first use, as the recorder did: /metrics lists no series never recorded.
  #requestDuration: Hist | undefined;
  #upstreamDuration: Hist | undefined;
  /** requests_total by method class × status class. */
  readonly #requests: (CounterSeries | undefined)[] = [];
  #bytesIn: CounterSeries | undefined;
  #bytesOut: CounterSeries | undefined;

  constructor(route: string, cluster: string) {
    this.#route = route;
    this.#cluster = cluster;
  }

  get requestDuration(): Hist {
    return (this.#requestDuration ??= workerMetrics.histogram('requestDuration', [this.#route, this.#cluster]));
  }

  get upstreamDuration(): Hist {
    return (this.#upstreamDuration ??= workerMetrics.histogram('upstreamDuration', [this.#route, this.#cluster]));
  }

  requests(method: string | undefined, status: number): CounterSeries {
    const m = methodIndex(method);
    const s = statusIndex(status);
    return (this.#requests[m * STATUS_CLASSES.length + s] ??= workerMetrics.counter('requests', [this.#route, this.#cluster, METHOD_CLASSES[m]!, STATUS_CLASSES[s]!]));
  }

  get bytesIn(): CounterSeries {
    return (this.#bytesIn ??= workerMetrics.counter('bytesIn', [this.#route]));
  }

  get bytesOut(): CounterSeries {
    return (this.#bytesOut ??= workerMetrics.counter('bytesOut', [this.#route]));
  }
}

const routeSeries = new Map<string, Map<string, RouteSeries>>();
function seriesFor(route: string, cluster: string): RouteSeries {
  let byCluster = routeSeries.get(route);
  if (!byCluster) routeSeries.set(route, (byCluster = new Map()));
  let s = byCluster.get(cluster);
  if (!s) byCluster.set(cluster, (s = new RouteSeries(route, cluster)));
  return s;
}

const REQUEST_BUCKETS_OF = FAMILIES.requestDuration.buckets;
const UPSTREAM_BUCKETS_OF = FAMILIES.upstreamDuration.buckets;

const origin = process.hrtime.bigint();
const monotonicNanos = (): bigint => process.hrtime.bigint() - origin;

export interface ExchangeEnd {
  readonly route: string | undefined;
  readonly cluster: string | undefined;
  readonly method: string | undefined;
  /** The status sent downstream (0 = none). */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export class ExchangeObservation {
  readonly #started = monotonicNanos();
  #upstreamStarted: bigint | undefined;
  #series: RouteSeries | undefined;
  #cluster = '';
  readonly trace: ExchangeTrace | undefined;
  /** Request body bytes received (the exchange counts them). */
  bytesIn = 0;
  readonly phaseTiming: PhaseTiming;

  constructor(trace: ExchangeTrace | undefined) {
    this.trace = trace;
    // Without a trace the timing touches only module state: one shared timer, nothing per exchange.
    this.phaseTiming = trace ? new PhaseTimer(trace) : UNTRACED_TIMER;
  }

  /** A plugin set a property (`trace_span_tag.*` become span attributes). */
  propertySet(key: string, value: Uint8Array): void {
    this.trace?.propertySet(key, value);
  }

  /** The request goes upstream (after the chain, with its final route): trace headers go in `out`. */
  upstreamStart(route: string, cluster: string, out: OutgoingHttpHeaders): void {
    this.#series = seriesFor(route, cluster);
    this.#cluster = cluster;
    this.#upstreamStarted = monotonicNanos();
    this.trace?.injectUpstream(out);
  }

  /** The upstream's response headers arrived. */
  upstreamResponse(status: number): void {
    if (this.#upstreamStarted === undefined || this.#series === undefined) return;
    observeIn(this.#series.upstreamDuration, UPSTREAM_BUCKETS_OF, Number(monotonicNanos() - this.#upstreamStarted) / 1e9);
    this.trace?.upstreamStatus(status);
  }

  /** The upstream failed before answering: a timeout, or no connection / a reset before headers. */
  upstreamFailed(kind: 'timeout' | 'connect'): void {
    workerMetrics.add(kind === 'timeout' ? 'timeouts' : 'connectFailures', [this.#cluster]);
  }

  end(e: ExchangeEnd): void {
    const series = seriesFor(e.route ?? '', e.cluster ?? '');
    series.requests(e.method, e.status)[1]++;
    observeIn(series.requestDuration, REQUEST_BUCKETS_OF, Number(monotonicNanos() - this.#started) / 1e9);
    if (e.bytesIn > 0) series.bytesIn[1] += e.bytesIn;
    if (e.bytesOut > 0) series.bytesOut[1] += e.bytesOut;
    this.trace?.end(e);
  }
}

/** The plugin phase histograms, and the trace's phase spans when there is a trace. */
class PhaseTimer implements PhaseTiming {
  readonly #trace: ExchangeTrace | undefined;

  constructor(trace: ExchangeTrace | undefined) {
    this.#trace = trace;
  }

  start(filter: ChainFilter, index: number, phase: FilterPhase): bigint {
    this.#trace?.phaseStart(filter, index, phase);
    return monotonicNanos();
  }

  end(filter: ChainFilter, index: number, phase: FilterPhase, start: bigint): void {
    const ns = monotonicNanos() - start;
    observeIn(phaseHistogram(filter.name, phase), PLUGIN_BUCKETS, Number(ns) / 1e9);
    this.#trace?.phaseEnd(filter, index, phase);
  }
}

const UNTRACED_TIMER = new PhaseTimer(undefined);

/** Starts observing one exchange (its server span too, when the generation traces). */
export function startObservation(config: Config, req: IncomingMessage, headers: HeaderMap): ExchangeObservation {
  return new ExchangeObservation(exchangeTrace(config, req, headers));
}
