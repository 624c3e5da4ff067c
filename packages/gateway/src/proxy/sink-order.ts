/**
 * A test-only wrapper around an exchange's StreamSink that checks the order the chain calls it in,
 * as undici asserts its handler lifecycle: request and response headers once and first on their
 * side, data and trailers only after the headers and never after that side's end, and nothing
 * at all after a reset. Off in production: the exchange checks one module variable.
 *
 * On with WASMGATE_CHECK_SINK_ORDER=1 (read at load, so worker threads inherit it) or
 * `enableSinkOrderCheck()` (in-thread tests). A violation is recorded in `sinkOrderViolations`
 * and written to stderr; it is not thrown, so the exchange goes on as it would have.
 */
import type { HeaderMap, StreamSink } from '@wasmgate/host';

export const sinkOrderViolations: string[] = [];
/** Streams checked so far (a test can tell the check was on). */
export let sinkOrderStreams = 0;

export let sinkOrderCheck: ((sink: StreamSink) => StreamSink) | undefined =
  process.env.WASMGATE_CHECK_SINK_ORDER === '1' ? orderChecked : undefined;

export function enableSinkOrderCheck(on = true): void {
  sinkOrderCheck = on ? orderChecked : undefined;
}

/** Where one side of the stream is. */
const Side = { Idle: 0, Headers: 1, Ended: 2 } as const;

export function orderChecked(sink: StreamSink): StreamSink {
  sinkOrderStreams++;
  let request: number = Side.Idle;
  let response: number = Side.Idle;
  let wasReset = false;
  const calls: string[] = [];
  const check = (call: string, ok: boolean, why: string) => {
    calls.push(call);
    if (calls.length > 24) calls.shift(); // the last calls are enough to tell the story
    if (wasReset) report(`${call} after reset`);
    else if (!ok) report(`${call}: ${why}`);
  };
  const report = (what: string) => {
    const line = `sink order violation: ${what} (calls: ${calls.join(' ')})`;
    sinkOrderViolations.push(line);
    console.error(line);
  };
  return {
    requestHeaders(h: HeaderMap, eos: boolean) {
      check('requestHeaders', request === Side.Idle, 'request headers twice');
      request = eos ? Side.Ended : Side.Headers;
      sink.requestHeaders(h, eos);
    },
    requestData(d: Uint8Array, eos: boolean) {
      check('requestData', request === Side.Headers, request === Side.Idle ? 'request data before its headers' : 'request data after its end');
      if (eos) request = Side.Ended;
      sink.requestData(d, eos);
    },
    requestTrailers(t: HeaderMap) {
      check('requestTrailers', request === Side.Headers, request === Side.Idle ? 'request trailers before its headers' : 'request trailers after its end');
      request = Side.Ended;
      sink.requestTrailers(t);
    },
    responseHeaders(h: HeaderMap, eos: boolean) {
      check('responseHeaders', response === Side.Idle, 'response headers twice');
      response = eos ? Side.Ended : Side.Headers;
      sink.responseHeaders(h, eos);
    },
    responseData(d: Uint8Array, eos: boolean) {
      check('responseData', response === Side.Headers, response === Side.Idle ? 'response data before its headers' : 'response data after its end');
      if (eos) response = Side.Ended;
      sink.responseData(d, eos);
    },
    responseTrailers(t: HeaderMap) {
      check('responseTrailers', response === Side.Headers, response === Side.Idle ? 'response trailers before its headers' : 'response trailers after its end');
      response = Side.Ended;
      sink.responseTrailers(t);
    },
    abortUpstream() {
      check('abortUpstream', true, '');
      sink.abortUpstream();
    },
    reset(reason: string) {
      check(`reset(${reason})`, response !== Side.Ended, 'reset after the response ended');
      wasReset = true;
      sink.reset(reason);
    },
    pause(direction: 'request' | 'response', paused: boolean) {
      sink.pause?.(direction, paused);
    },
  };
}
