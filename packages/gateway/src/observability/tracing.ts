/**
 * The tracing facade the data plane calls. The OpenTelemetry SDK (tracing-sdk.ts: about 130 ms and
 * 7 MB per worker to load) is imported only when a generation configures `tracing`
 * (`loadTracing()`, awaited while the generation is prepared); without it every call here is an
 * `undefined` check.
 */
import type { IncomingMessage } from 'node:http';
import type { HeaderMap } from '@wasmgate/host';
import type { Config } from '../config/types.js';
import type * as Sdk from './tracing-sdk.js';

export type { ExchangeTrace } from './tracing-sdk.js';

let sdk: typeof Sdk | undefined;

/** Loads the SDK (once per thread); call before serving a configuration with `tracing`. */
export async function loadTracing(): Promise<void> {
  sdk ??= await import('./tracing-sdk.js');
}

/** The trace of one exchange, or undefined when the generation does not trace. */
export function exchangeTrace(config: Config, req: IncomingMessage, headers: HeaderMap): Sdk.ExchangeTrace | undefined {
  return config.gateway.tracing && sdk ? sdk.exchangeTrace(config, req, headers) : undefined;
}

/** A CLIENT span for a callout or Redis call made inside a traced plugin callback (see tracing-sdk.ts). */
export function clientSpan(name: string, attributes: Record<string, string | number>, headers?: [string, string][]): ((error?: string) => void) | undefined {
  return sdk?.clientSpan(name, attributes, headers);
}

/** Exports what this thread has buffered (worker shutdown). */
export async function flushTracing(): Promise<void> {
  await sdk?.flushTracing();
}
