/**
 * Small trampoline modules, assembled in the test from WAT, for host functions hostcall-proxy does
 * not import: the toolchain extras in `env` (AssemblyScript abort/trace/seed, Emscripten
 * notify_memory_growth, pthread_equal) and every WASI preview1 function of HOSTCALLS, imported
 * from both `wasi_snapshot_preview1` and `wasi_unstable`. Each `call_<name>` (`call_u_<name>` for
 * wasi_unstable) forwards its arguments. Addresses 0..0x1000 are never written by these modules.
 */
import type { PluginModule } from '@wasmgate/host';
import { compileWat } from './wat.js';

/** Shape of a WASI function: its Wasm params and whether it returns an errno. */
export interface WasiSig {
  readonly params: readonly ('i32' | 'i64')[];
  readonly result: boolean;
}

const i = 'i32' as const;
const l = 'i64' as const;

/** preview1 signatures of every WASI function the host provides. */
export const WASI_SIGS: Record<string, WasiSig> = {
  args_get: { params: [i, i], result: true },
  args_sizes_get: { params: [i, i], result: true },
  environ_get: { params: [i, i], result: true },
  environ_sizes_get: { params: [i, i], result: true },
  clock_res_get: { params: [i, i], result: true },
  clock_time_get: { params: [i, l, i], result: true },
  random_get: { params: [i, i], result: true },
  fd_write: { params: [i, i, i, i], result: true },
  fd_pwrite: { params: [i, i, i, l, i], result: true },
  fd_fdstat_get: { params: [i, i], result: true },
  poll_oneoff: { params: [i, i, i, i], result: true },
  sched_yield: { params: [], result: true },
  proc_exit: { params: [i], result: false },
  fd_seek: { params: [i, l, i, i], result: true },
  fd_close: { params: [i], result: true },
  fd_sync: { params: [i], result: true },
  fd_datasync: { params: [i], result: true },
  fd_advise: { params: [i, l, l, i], result: true },
  fd_allocate: { params: [i, l, l], result: true },
  fd_tell: { params: [i, i], result: true },
  fd_prestat_get: { params: [i, i], result: true },
  fd_prestat_dir_name: { params: [i, i, i], result: true },
  fd_fdstat_set_flags: { params: [i, i], result: true },
  fd_fdstat_set_rights: { params: [i, l, l], result: true },
  fd_filestat_get: { params: [i, i], result: true },
  fd_filestat_set_size: { params: [i, l], result: true },
  fd_filestat_set_times: { params: [i, l, l, i], result: true },
  fd_read: { params: [i, i, i, i], result: true },
  fd_pread: { params: [i, i, i, l, i], result: true },
  fd_readdir: { params: [i, i, i, l, i], result: true },
  fd_renumber: { params: [i, i], result: true },
  path_open: { params: [i, i, i, i, i, l, l, i, i], result: true },
  path_filestat_get: { params: [i, i, i, i, i], result: true },
  path_filestat_set_times: { params: [i, i, i, i, l, l, i], result: true },
  path_create_directory: { params: [i, i, i], result: true },
  path_link: { params: [i, i, i, i, i, i, i], result: true },
  path_readlink: { params: [i, i, i, i, i, i], result: true },
  path_remove_directory: { params: [i, i, i], result: true },
  path_rename: { params: [i, i, i, i, i, i], result: true },
  path_symlink: { params: [i, i, i, i, i], result: true },
  path_unlink_file: { params: [i, i, i], result: true },
  proc_raise: { params: [i], result: true },
  sock_accept: { params: [i, i, i], result: true },
  sock_recv: { params: [i, i, i, i, i, i], result: true },
  sock_send: { params: [i, i, i, i, i], result: true },
  sock_shutdown: { params: [i, i], result: true },
};

/** Signatures of the toolchain extras in `env`. */
export const ENV_EXTRA_SIGS: Record<string, { params: readonly ('i32' | 'f64')[]; result?: 'i32' | 'f64' }> = {
  abort: { params: ['i32', 'i32', 'i32', 'i32'] },
  trace: { params: ['i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64'] },
  seed: { params: [], result: 'f64' },
  emscripten_notify_memory_growth: { params: ['i32'] },
  pthread_equal: { params: ['i32', 'i32'], result: 'i32' },
};

const COMMON = `
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 0x8000))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))`;

/** An import and its forwarding export; imports must come first in a module, hence the pair. */
function forward(mod: string, name: string, exportName: string, params: readonly string[], result: string | undefined): [string, string] {
  const p = params.length ? ` (param ${params.join(' ')})` : '';
  const r = result ? ` (result ${result})` : '';
  const gets = params.map((_, k) => ` (local.get ${k})`).join('');
  return [
    `  (import "${mod}" "${name}" (func $${exportName}${p}${r}))\n`,
    `  (func (export "${exportName}")${p}${r} (call $${exportName}${gets}))\n`,
  ];
}

function moduleText(pairs: [string, string][]): string {
  return `(module\n${pairs.map((x) => x[0]).join('')}${COMMON}\n${pairs.map((x) => x[1]).join('')})`;
}

let extras: Promise<PluginModule> | undefined;
let wasi: Promise<PluginModule> | undefined;

/** Trampolines `call_<name>` for the env toolchain extras. */
export function envExtrasModule(): Promise<PluginModule> {
  extras ??= compileWat('env-extras-proxy.wat', moduleText(Object.entries(ENV_EXTRA_SIGS)
    .map(([n, s]) => forward('env', n, `call_${n}`, s.params, s.result))));
  return extras;
}

/** Trampolines `call_<name>` (wasi_snapshot_preview1) and `call_u_<name>` (wasi_unstable). */
export function wasiModule(): Promise<PluginModule> {
  wasi ??= compileWat('wasi-proxy.wat', moduleText(Object.entries(WASI_SIGS).flatMap(([n, s]) => [
    forward('wasi_snapshot_preview1', n, `call_${n}`, s.params, s.result ? 'i32' : undefined),
    forward('wasi_unstable', n, `call_u_${n}`, s.params, s.result ? 'i32' : undefined),
  ])));
  return wasi;
}
