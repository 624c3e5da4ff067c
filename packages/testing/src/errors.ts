/**
 * The harness's WG_HARNESS_* catalogue. A harness error means the *test script* and the plugin
 * disagree (an HTTP call nobody scripted, a stream driven out of order), so each hint shows the
 * line to add or change in the test.
 * @module
 */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const HARNESS_ERRORS = defineErrors({
  WG_HARNESS_UNMATCHED_HTTP_CALL: {
    summary: 'The plugin made an HTTP call (proxy_http_call) that no interceptor matches; the plugin saw a reset.',
    hint: 'Script the call with plugin.http.intercept({ cluster, path }).reply(status, body) before driving the stream.',
  },
  WG_HARNESS_UNMATCHED_REDIS_CALL: {
    summary: 'The plugin made a Redis call (proxy_redis_call) that no interceptor matches; the plugin saw a network error.',
    hint: 'Script the call with plugin.redis.intercept({ cluster, command }).reply(resp.ok()) before driving the stream.',
  },
  WG_HARNESS_UNMATCHED_GRPC_CALL: {
    summary: 'The plugin made a gRPC call (proxy_grpc_call / proxy_grpc_stream) that no interceptor matches; the plugin saw UNAVAILABLE (14).',
    hint: "Script the call with plugin.grpc.intercept({ cluster, service, method }).reply(bytes) before driving the stream.",
  },
  WG_HARNESS_PENDING_INTERCEPTORS: {
    summary: 'Some interceptors were never used: the plugin did not make calls the test expected.',
    hint: 'Check that the stream reached the step that makes the call, or drop the interceptor (use .persist() for optional ones that may stay unused only with care).',
  },
  WG_HARNESS_INTERCEPTOR_THREW: {
    summary: 'A replyWith() function threw or rejected; the plugin saw a reset.',
    hint: 'Fix the replyWith callback; return "reset" to simulate a reset on purpose.',
  },
  WG_HARNESS_STREAM_ORDER: {
    summary: 'The test drove a stream out of order (for example a body before the headers, or anything after end()).',
    hint: 'Drive each side as headers → body chunks → trailers, end the body with { endStream: true }, and call end() last.',
  },
  WG_HARNESS_PLUGIN_FILE: {
    summary: 'The plugin file could not be read.',
    hint: 'Pass a path relative to the working directory, an absolute path, a file: URL, or the bytes themselves.',
    exit: 2,
  },
  WG_HARNESS_CLOSED: {
    summary: 'The test plugin was used after close().',
    hint: 'Load a fresh plugin per test (loadPlugin in beforeEach) or close it only in after().',
  },
});
registerErrors(HARNESS_ERRORS);

/** A code from the harness catalogue. */
export type HarnessErrorCode = keyof typeof HARNESS_ERRORS;
