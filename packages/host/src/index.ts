/**
 * @wasmgate/host — a Proxy-Wasm ABI host for JavaScript runtimes. It runs real plugin binaries
 * (Go 1.24 wasip1, TinyGo, Rust, C++, AssemblyScript) and speaks to the outside world only through
 * {@link HostPorts}. No runtime dependencies, no Node built-ins.
 * @module
 */
export * from './errors.js';
export * from './abi/constants.js';
export { encodePairs, decodePairs, type HeaderPair } from './abi/pairs.js';
export { utf8Decode, utf8Encode } from './abi/utf8.js';
export type * from './ports.js';
export { InMemorySharedData, type SharedDataStore, type SharedDataEntry } from './stores/shared-data.js';
export { InMemorySharedQueues, type SharedQueueStore } from './stores/shared-queue.js';
export { HISTOGRAM_BUCKETS, InMemoryMetrics, type MetricStore, type MetricSnapshot } from './stores/metrics.js';
export * from './stores/shared-memory/index.js';
export { encodeProperty, type PropertyValue } from './properties.js';
export * from './attributes/index.js';
export { HeaderMap } from './context/header-map.js';
export { BodyBuffer } from './context/body-buffer.js';
export { RootContext, type RootOptions } from './context/root-context.js';
export { HttpContext, type HttpStreamHost, type LocalReply } from './context/http-context.js';
export { compilePlugin, compileForInspect, reportModule, type PluginModule, type ModuleReport, type ImportReport } from './module.js';
export { PluginVm, type VmOptions, type VmState, type CallMeter } from './vm.js';
export { HOSTCALLS, type HostcallSpec } from './hostcalls/table.js';
export { BUILTIN_FOREIGN_FUNCTIONS } from './hostcalls/foreign.js';
export { HttpStream } from './chain/http-stream.js';
export { ERROR_CODE_HEADER, type ChainFilter, type FailStrategy, type FilterPhase, type PhaseTiming, type StreamSink, type StreamOptions } from './chain/types.js';
export { liftStartSection } from './abi/start-section.js';
export { instrumentModule, INTERRUPT_EXPORT, type InstrumentOptions } from './instrument/instrument.js';
