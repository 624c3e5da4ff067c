/**
 * @wasmgate/testing — unit-test any Proxy-Wasm plugin binary (Go, TinyGo, Rust, C++,
 * AssemblyScript) with no network, no Docker and no sockets: load the `.wasm` with its
 * configuration, drive HTTP streams step by step, script HTTP and Redis callouts, move a virtual
 * clock, and assert on headers, bodies, local replies, logs, metrics and shared data.
 * @module
 */
import './errors.js';

export { loadPlugin, type LoadOptions, type PluginSetup, type ChainPlugin, type PluginSource } from './load-plugin.js';
export { TestPlugin, type MetricValue } from './test-plugin.js';
export { TestStream, type TestStreamOptions, type StepResult, type StepAction, type SideOptions } from './test-stream.js';
export type { UpstreamView, DownstreamView } from './stream-record.js';
export type { CallbackName, CallbackRecord } from './callback-recorder.js';
export { VirtualClock } from './virtual-clock.js';
export type { LogEntry } from './recorded-log.js';
export { SharedDataView } from './shared-data-view.js';
export { MockHttp, HttpInterceptor, type HttpCall, type HttpCallMatch, type HttpCallOutcome, type HttpReply, type HttpReplyFn } from './mock-http.js';
export {
  MockRedis, RedisInterceptor,
  type RedisCall, type RedisCallMatch, type RedisCallOutcome, type RedisInit, type RedisReply, type RedisReplyFn,
} from './mock-redis.js';
export {
  MockGrpc, GrpcInterceptor, type GrpcCall, type GrpcCallMatch, type GrpcCallOutcome, type GrpcReply, type GrpcReplyFn,
} from './mock-grpc.js';
export { InterceptScope, type Matcher } from './interceptor.js';
export { resp } from './resp.js';
export { DEFAULT_STREAM_PROPERTIES } from './stream-properties.js';
export type { HeadersInput, BodyInput, PropertyInput } from './input.js';
export { HARNESS_ERRORS, type HarnessErrorCode } from './errors.js';
// The status constants and types tests compare against, so a test needs only this package.
export {
  ERROR_CODE_HEADER, FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HeaderMap, WasmgateError,
  type LocalReply, type LogLevelName, type PropertyValue,
} from '@wasmgate/host';
