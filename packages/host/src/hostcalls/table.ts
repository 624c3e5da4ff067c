/**
 * THE list of host functions (cpp-host's exports.h idea): the import object, the capability stubs
 * and `wasmgate inspect` are all generated from it. `status: 'stub'` marks imports that exist so
 * every SDK's module links, but answer Unimplemented / ENOSYS / BADF / NOENT.
 */
import { WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';
import { GuestUnwind } from '../memory.js';
import * as buf from './buffers.js';
import * as call from './callouts.js';
import * as ffi from './foreign.js';
import * as grpc from './grpc.js';
import * as hm from './header-maps.js';
import * as hig from './higress.js';
import * as logm from './logging.js';
import * as met from './metrics.js';
import * as prop from './properties.js';
import * as sh from './shared.js';
import * as st from './streams.js';
import * as wasi from '../wasi/preview1.js';
import * as extra from '../wasi/env-extras.js';

// Host functions take the VM scope and then the raw Wasm arguments (i32 as number, i64 as bigint).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type HostFn = (vm: VmScope, ...args: any[]) => unknown;

export interface HostcallSpec {
  readonly module: 'env' | 'wasi';
  readonly name: string;
  readonly fn: HostFn;
  readonly status: 'implemented' | 'stub';
}

const env = (name: string, fn: HostFn, status: HostcallSpec['status'] = 'implemented'): HostcallSpec => ({ module: 'env', name, fn, status });
const w = (name: string, fn: HostFn, status: HostcallSpec['status'] = 'implemented'): HostcallSpec => ({ module: 'wasi', name, fn, status });
const errno = (n: number): HostFn => () => n;
const stdio: HostFn = (_vm, fd: number) => wasi.stdioOnly(fd);

export const HOSTCALLS: readonly HostcallSpec[] = [
  // ---- Proxy-Wasm: logging, time ------------------------------------------------------------
  env('proxy_log', logm.proxyLog),
  env('proxy_get_log_level', logm.proxyGetLogLevel),
  env('proxy_get_current_time_nanoseconds', logm.proxyGetCurrentTimeNanoseconds),
  env('proxy_set_tick_period_milliseconds', logm.proxySetTickPeriodMilliseconds),
  // ---- buffers and configuration --------------------------------------------------------------
  env('proxy_get_buffer_bytes', buf.proxyGetBufferBytes),
  env('proxy_get_buffer_status', buf.proxyGetBufferStatus),
  env('proxy_set_buffer_bytes', buf.proxySetBufferBytes),
  env('proxy_get_configuration', buf.proxyGetConfiguration),
  // ---- header maps ---------------------------------------------------------------------------
  env('proxy_get_header_map_value', hm.proxyGetHeaderMapValue),
  env('proxy_get_header_map_pairs', hm.proxyGetHeaderMapPairs),
  env('proxy_set_header_map_pairs', hm.proxySetHeaderMapPairs),
  env('proxy_add_header_map_value', hm.proxyAddHeaderMapValue),
  env('proxy_replace_header_map_value', hm.proxyReplaceHeaderMapValue),
  env('proxy_remove_header_map_value', hm.proxyRemoveHeaderMapValue),
  env('proxy_get_header_map_size', hm.proxyGetHeaderMapSize),
  // ---- stream control ------------------------------------------------------------------------
  env('proxy_continue_stream', st.proxyContinueStream),
  env('proxy_close_stream', st.proxyCloseStream),
  env('proxy_continue_request', st.proxyContinueRequest),
  env('proxy_continue_response', st.proxyContinueResponse),
  env('proxy_clear_route_cache', st.proxyClearRouteCache),
  env('proxy_send_local_response', st.proxySendLocalResponse),
  env('proxy_set_effective_context', st.proxySetEffectiveContext),
  env('proxy_done', st.proxyDone),
  // ---- callouts --------------------------------------------------------------------------------
  env('proxy_http_call', call.proxyHttpCall),
  env('proxy_get_status', call.proxyGetStatus),
  env('proxy_grpc_call', grpc.proxyGrpcCall),
  env('proxy_grpc_stream', grpc.proxyGrpcStream),
  env('proxy_grpc_send', grpc.proxyGrpcSend),
  env('proxy_grpc_cancel', grpc.proxyGrpcCancel),
  env('proxy_grpc_close', grpc.proxyGrpcClose),
  env('proxy_redis_init', call.proxyRedisInit),
  env('proxy_redis_call', call.proxyRedisCall),
  // ---- shared data and queues ----------------------------------------------------------------
  env('proxy_get_shared_data', sh.proxyGetSharedData),
  env('proxy_set_shared_data', sh.proxySetSharedData),
  env('proxy_register_shared_queue', sh.proxyRegisterSharedQueue),
  env('proxy_resolve_shared_queue', sh.proxyResolveSharedQueue),
  env('proxy_enqueue_shared_queue', sh.proxyEnqueueSharedQueue),
  env('proxy_dequeue_shared_queue', sh.proxyDequeueSharedQueue),
  // ---- metrics ---------------------------------------------------------------------------------
  env('proxy_define_metric', met.proxyDefineMetric),
  env('proxy_increment_metric', met.proxyIncrementMetric),
  env('proxy_record_metric', met.proxyRecordMetric),
  env('proxy_get_metric', met.proxyGetMetric),
  // ---- properties, foreign functions -----------------------------------------------------------
  env('proxy_get_property', prop.proxyGetProperty),
  env('proxy_set_property', prop.proxySetProperty),
  env('proxy_call_foreign_function', ffi.proxyCallForeignFunction),
  // ---- Higress extensions ----------------------------------------------------------------------
  env('proxy_inject_encoded_data_to_filter_chain', hig.proxyInjectEncodedDataToFilterChain),
  env('proxy_get_upstream_hosts', hig.proxyGetUpstreamHosts),
  env('proxy_set_upstream_override_host', hig.proxySetUpstreamOverrideHost),
  // ---- toolchain extras in "env" ------------------------------------------------------------------
  env('abort', extra.asAbort),
  env('trace', extra.asTrace),
  env('seed', extra.asSeed),
  env('emscripten_notify_memory_growth', () => undefined),
  env('pthread_equal', (_vm, a: number, b: number) => (a === b ? 1 : 0)),
  // ---- WASI preview1 (also served as wasi_unstable) ---------------------------------------------
  w('args_get', wasi.argsGet),
  w('args_sizes_get', wasi.argsSizesGet),
  w('environ_get', wasi.environGet),
  w('environ_sizes_get', wasi.environSizesGet),
  w('clock_res_get', wasi.clockResGet),
  w('clock_time_get', wasi.clockTimeGet),
  w('random_get', wasi.randomGet),
  w('fd_write', (vm, fd: number, iovs: number, n: number, out: number) => wasi.fdWrite(vm, vm.wasi, fd, iovs, n, out)),
  w('fd_pwrite', (vm, fd: number, iovs: number, n: number, _off: bigint, out: number) => wasi.fdWrite(vm, vm.wasi, fd, iovs, n, out)),
  w('fd_fdstat_get', wasi.fdFdstatGet),
  w('poll_oneoff', wasi.pollOneoff),
  w('sched_yield', errno(wasi.Errno.SUCCESS)),
  w('proc_exit', wasi.procExit),
  w('fd_seek', wasi.fdSeek),
  w('fd_close', wasi.fdClose),
  w('fd_sync', stdio),
  w('fd_datasync', stdio),
  w('fd_advise', stdio),
  w('fd_allocate', stdio),
  w('fd_tell', wasi.fdTell, 'stub'),
  w('fd_prestat_get', errno(wasi.Errno.BADF)),
  w('fd_prestat_dir_name', errno(wasi.Errno.NOSYS), 'stub'),
  w('fd_fdstat_set_flags', errno(wasi.Errno.NOSYS), 'stub'),
  w('fd_fdstat_set_rights', errno(wasi.Errno.NOSYS), 'stub'),
  w('fd_filestat_get', errno(wasi.Errno.BADF), 'stub'),
  w('fd_filestat_set_size', errno(wasi.Errno.BADF), 'stub'),
  w('fd_filestat_set_times', errno(wasi.Errno.BADF), 'stub'),
  w('fd_read', errno(wasi.Errno.NOSYS), 'stub'),
  w('fd_pread', errno(wasi.Errno.NOSYS), 'stub'),
  w('fd_readdir', errno(wasi.Errno.NOTDIR), 'stub'),
  w('fd_renumber', errno(wasi.Errno.BADF), 'stub'),
  w('path_open', errno(wasi.Errno.NOENT), 'stub'),
  w('path_filestat_get', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_filestat_set_times', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_create_directory', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_link', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_readlink', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_remove_directory', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_rename', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_symlink', errno(wasi.Errno.NOTSUP), 'stub'),
  w('path_unlink_file', errno(wasi.Errno.NOTSUP), 'stub'),
  w('proc_raise', errno(wasi.Errno.NOSYS), 'stub'),
  w('sock_accept', errno(wasi.Errno.NOTSUP), 'stub'),
  w('sock_recv', errno(wasi.Errno.NOTSUP), 'stub'),
  w('sock_send', errno(wasi.Errno.NOTSUP), 'stub'),
  w('sock_shutdown', errno(wasi.Errno.NOTSUP), 'stub'),
];

/** Module names a host function table entry answers to. */
export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

const byKey = new Map<string, HostcallSpec>();
for (const h of HOSTCALLS) {
  if (h.module === 'env') byKey.set(`env.${h.name}`, h);
  else for (const m of WASI_MODULES) byKey.set(`${m}.${h.name}`, h);
}

/** The table entry serving an import, or undefined when wasmgate does not provide it. */
export function findHostcall(module: string, name: string): HostcallSpec | undefined {
  return byKey.get(`${module}.${name}`);
}

/** Where the import wrappers find their VM: filled in once the instance (and so the VM) exists. */
export interface ScopeSlot {
  vm: VmScope | undefined;
}

/**
 * Builds the import object for one VM. Each wrapper catches any JavaScript exception and answers
 * InternalFailure (errno 29 for WASI): no host bug ever reaches the guest as an exception. Only a
 * GuestUnwind (proc_exit, abort) passes through, on purpose, to stop the guest.
 *
 * The wrappers are the hottest JavaScript in the host (every hostcall crosses one), so each has
 * exactly its host function's arity (V8's Wasm-to-JS call is fastest when the arities match) and
 * reads the VM from a plain slot.
 */
export function buildImports(slot: ScopeSlot, onHostBug: (name: string, error: unknown) => void): WebAssembly.Imports {
  const envObj: Record<string, unknown> = {};
  const wasiObj: Record<string, unknown> = {};
  for (const h of HOSTCALLS) {
    (h.module === 'env' ? envObj : wasiObj)[h.name] = wrap(h, slot, onHostBug);
  }
  return { env: envObj as WebAssembly.ModuleImports, wasi_snapshot_preview1: wasiObj as WebAssembly.ModuleImports, wasi_unstable: wasiObj as WebAssembly.ModuleImports };
}

type A = unknown;

function wrap(h: HostcallSpec, slot: ScopeSlot, onHostBug: (name: string, error: unknown) => void): (...args: A[]) => unknown {
  const fn = h.fn;
  const name = h.name;
  const failure = h.module === 'env' ? WasmResult.InternalFailure : 29;
  const noScope = (): VmScope => {
    throw new Error(`hostcall during instantiation (${name})`);
  };
  const fail = (err: unknown): number => {
    if (err instanceof GuestUnwind) throw err;
    onHostBug(name, err);
    return failure;
  };
  // The proxy_* functions declare every parameter (no rest or default parameters), so fn.length
  // minus the VM scope is their Wasm arity; WASI and toolchain extras keep the generic wrapper.
  const arity = name.startsWith('proxy_') ? fn.length - 1 : -1;
  switch (arity) {
    case 0: return () => { try { return fn(slot.vm ?? noScope()); } catch (e) { return fail(e); } };
    case 1: return (a: A) => { try { return fn(slot.vm ?? noScope(), a); } catch (e) { return fail(e); } };
    case 2: return (a: A, b: A) => { try { return fn(slot.vm ?? noScope(), a, b); } catch (e) { return fail(e); } };
    case 3: return (a: A, b: A, c: A) => { try { return fn(slot.vm ?? noScope(), a, b, c); } catch (e) { return fail(e); } };
    case 4: return (a: A, b: A, c: A, d: A) => { try { return fn(slot.vm ?? noScope(), a, b, c, d); } catch (e) { return fail(e); } };
    case 5: return (a: A, b: A, c: A, d: A, e: A) => { try { return fn(slot.vm ?? noScope(), a, b, c, d, e); } catch (x) { return fail(x); } };
    case 6: return (a: A, b: A, c: A, d: A, e: A, f: A) => { try { return fn(slot.vm ?? noScope(), a, b, c, d, e, f); } catch (x) { return fail(x); } };
    default:
      return (a?: A, b?: A, c?: A, d?: A, e?: A, f?: A, g?: A, i?: A, j?: A, k?: A, l?: A, m?: A) => {
        try {
          return fn(slot.vm ?? noScope(), a, b, c, d, e, f, g, i, j, k, l, m);
        } catch (x) {
          return fail(x);
        }
      };
  }
}
