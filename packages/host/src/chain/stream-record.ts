/**
 * What the chain saw pass through one stream — header maps, body byte counts, the response code,
 * Envoy's response code details and flags, completion time — kept apart from the filter manager
 * so the built-in attributes (attributes/resolve.ts) read one small record.
 */
import type { StreamFacts } from '../attributes/facts.js';
import type { AttributeSource } from '../attributes/resolve.js';
import type { HeaderMap } from '../context/header-map.js';

export class StreamRecord {
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  requestBytes = 0;
  responseBytes = 0;
  responseCode: number | undefined;
  /**
   * Response code details (`via_upstream`, a local reply's details, or what the embedder sets for
   * an upstream failure such as `upstream_reset_after_response_started{remote_reset}`).
   */
  codeDetails = '';
  /** Envoy response flags (attributes/facts.ts ResponseFlag bits). */
  flags = 0;
  completedNanos: bigint | undefined;

  /** The attribute resolver's view of this record plus the embedder's facts. */
  source(facts: StreamFacts): AttributeSource {
    return {
      facts,
      requestHeaders: () => this.requestHeaders,
      requestTrailers: () => this.requestTrailers,
      responseHeaders: () => this.responseHeaders,
      responseTrailers: () => this.responseTrailers,
      requestBodyBytes: () => this.requestBytes,
      responseBodyBytes: () => this.responseBytes,
      responseCode: () => this.responseCode,
      responseCodeDetails: () => this.codeDetails || undefined,
      responseFlags: () => this.flags,
      completedNanos: () => this.completedNanos,
    };
  }
}
