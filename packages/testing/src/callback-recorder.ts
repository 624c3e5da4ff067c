/**
 * Records what each plugin returned from each stream callback. The host's HttpStream acts on those
 * statuses but does not report them, and a plugin test wants to assert "the body callback returned
 * StopIterationAndBuffer". So the harness hands HttpStream a view of each filter whose VM wraps the
 * HTTP contexts it creates: calls pass straight through to the real objects (the VM's context
 * registry and every hostcall keep seeing the originals) and the normalised status is noted on the
 * way out.
 * @module
 */
import type { ChainFilter, HttpContext, PluginVm } from '@wasmgate/host';

/** A stream callback, named as in the ABI without the `proxy_on_` prefix. */
export type CallbackName = 'request_headers' | 'request_body' | 'request_trailers' | 'response_headers' | 'response_body' | 'response_trailers';

/** One callback a plugin ran during a step. */
export interface CallbackRecord {
  /** Plugin name. */
  readonly plugin: string;
  /** Position in the chain (request order). */
  readonly filter: number;
  readonly callback: CallbackName;
  /**
   * The status as the host normalised it (Envoy/cpp-host rules): e.g. a header callback's 1 is
   * 4 (StopAllIterationAndWatermark) for ABI 0.2.1, and anything after a local reply is a stop.
   */
  readonly status: number;
}

const METHODS: Readonly<Record<string, CallbackName>> = {
  onRequestHeaders: 'request_headers',
  onRequestBody: 'request_body',
  onRequestTrailers: 'request_trailers',
  onResponseHeaders: 'response_headers',
  onResponseBody: 'response_body',
  onResponseTrailers: 'response_trailers',
};

/** Forwards to `target`, binding methods to it (its #private fields need the real receiver). */
function forward<T extends object>(target: T, override: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const o = override(prop);
      if (o !== undefined) return o;
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set(t, prop, value) {
      return Reflect.set(t, prop, value, t);
    },
  });
}

/** @internal The filter as HttpStream should see it, reporting every callback status to `record`. */
export function recordingFilter(filter: ChainFilter, index: number, record: (r: CallbackRecord) => void): ChainFilter {
  const wrapContext = (ctx: HttpContext): HttpContext =>
    forward(ctx, (prop) => {
      const callback = typeof prop === 'string' ? METHODS[prop] : undefined;
      if (!callback) return undefined;
      const method = (ctx as unknown as Record<string, (...a: unknown[]) => number>)[prop as string]!;
      return (...args: unknown[]) => {
        const status = method.apply(ctx, args);
        record({ plugin: filter.name, filter: index, callback, status });
        return status;
      };
    });
  const vm = forward<PluginVm>(filter.vm, (prop) =>
    prop === 'createHttpContext' ? (...args: Parameters<PluginVm['createHttpContext']>) => wrapContext(filter.vm.createHttpContext(...args)) : undefined);
  return { ...filter, vm };
}
