/**
 * How an upstream failure shows in `response.code_details` and `response.flags`, as Envoy's router
 * reports it. Both embedders call HttpStream.upstreamFailed with the kind, so a plugin reading
 * these attributes after a reset sees the same values in the gateway and the harness.
 */
import { ResponseFlag } from './facts.js';

/**
 * - `connection_failure`: no connection could be made (refused, unreachable);
 * - `connection_termination`: the connection closed under the request;
 * - `remote_reset`: the upstream reset the stream (after a response started, over HTTP/1.1 the
 *   connection closing mid-body);
 * - `timeout`: the upstream did not answer in time.
 */
export type UpstreamFailureKind = 'connection_failure' | 'connection_termination' | 'remote_reset' | 'timeout';

/** Envoy's code details and response flag for a failure before or after the upstream's response headers. */
export function upstreamFailure(kind: UpstreamFailureKind, afterHeaders: boolean): { details: string; flag: number } {
  if (kind === 'timeout') return { details: 'upstream_response_timeout', flag: ResponseFlag.UpstreamRequestTimeout };
  const flag = kind === 'connection_failure' ? ResponseFlag.UpstreamConnectionFailure
    : kind === 'connection_termination' ? ResponseFlag.UpstreamConnectionTermination
    : ResponseFlag.UpstreamRemoteReset;
  return { details: `upstream_reset_${afterHeaders ? 'after' : 'before'}_response_started{${kind}}`, flag };
}
