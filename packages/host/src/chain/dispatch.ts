/**
 * Running one stream callback of one plugin: the context gets the map or body it may read and edit
 * during the callback (and keeps a body it buffers), then the guest export is called.
 */
import { FilterDataStatus } from '../abi/constants.js';
import type { BodyBuffer } from '../context/body-buffer.js';
import type { HeaderMap } from '../context/header-map.js';
import type { HttpContext } from '../context/http-context.js';
import type { FilterPhase } from './types.js';

/** Which stream callback HttpStream runs (a number, so no closure is made per callback). */
export const Call = { RequestHeaders: 0, RequestBody: 1, RequestTrailers: 2, ResponseHeaders: 3, ResponseBody: 4, ResponseTrailers: 5 } as const;
export type Call = (typeof Call)[keyof typeof Call];
export const PHASES: readonly FilterPhase[] = ['request_headers', 'request_body', 'request_trailers', 'response_headers', 'response_body', 'response_trailers'];

/** Hands one stream callback to the plugin's context, with the map or body it acts on. */
export function dispatchCallback(c: HttpContext, call: Call, arg: HeaderMap | BodyBuffer, eos: boolean): number {
  switch (call) {
    case Call.RequestHeaders: {
      const map = arg as HeaderMap;
      c.requestHeaders = map;
      c.requestHeadersWritable = true;
      return c.onRequestHeaders(map.size, eos);
    }
    case Call.RequestTrailers: {
      const map = arg as HeaderMap;
      c.requestTrailers = map;
      c.requestTrailersWritable = true;
      return c.onRequestTrailers(map.size);
    }
    case Call.ResponseHeaders: {
      const map = arg as HeaderMap;
      c.responseHeaders = map;
      c.responseHeadersWritable = true;
      return c.onResponseHeaders(map.size, eos);
    }
    case Call.ResponseTrailers: {
      const map = arg as HeaderMap;
      c.responseTrailers = map;
      c.responseTrailersWritable = true;
      return c.onResponseTrailers(map.size);
    }
    default:
      return withBody(c, call === Call.RequestBody ? 'request' : 'response', arg as BodyBuffer);
  }
}

function withBody(c: HttpContext, side: 'request' | 'response', body: BodyBuffer): number {
  if (side === 'request') c.requestBody = body;
  else c.responseBody = body;
  if (body.endOfStream) {
    // Trailers may be added from the last body chunk (Envoy's addDecodedTrailers).
    if (side === 'request') c.requestTrailersWritable = c.requestTrailers !== undefined;
  }
  let status: number | undefined;
  try {
    status = side === 'request' ? c.onRequestBody(body.bytes.length, body.endOfStream) : c.onResponseBody(body.bytes.length, body.endOfStream);
    return status;
  } finally {
    // A filter that keeps the body buffered (1/2) can still read and edit it while paused
    // (Envoy: buffer 0/1 "in and paused-from" on_*_body); otherwise the buffer is gone.
    const held = status === FilterDataStatus.StopIterationAndBuffer || status === FilterDataStatus.StopIterationAndWatermark;
    if (!held) {
      if (side === 'request') c.requestBody = undefined;
      else c.responseBody = undefined;
    }
  }
}
