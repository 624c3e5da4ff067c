/**
 * ABI version detection (spec §1): the first function export, in export order, whose name is one of
 * the markers. cpp-host and Envoy do the same; a module without a marker is refused.
 */
import { AbiVersion } from './constants.js';
import type { Producers } from './producers.js';

const MARKERS: Record<string, AbiVersion> = {
  proxy_abi_version_0_1_0: AbiVersion.v0_1_0,
  proxy_abi_version_0_2_0: AbiVersion.v0_2_0,
  proxy_abi_version_0_2_1: AbiVersion.v0_2_1,
  proxy_abi_version_0_2_100: AbiVersion.v0_2_100,
};

export function detectAbiVersion(exports: readonly WebAssembly.ModuleExportDescriptor[]): AbiVersion | undefined {
  for (const e of exports) {
    if (e.kind === 'function' && Object.hasOwn(MARKERS, e.name)) return MARKERS[e.name];
  }
  return undefined;
}

/** Toolchain guess from the export/import surface, for `wasmgate inspect` and log lines. */
export function guessToolchain(
  exports: readonly WebAssembly.ModuleExportDescriptor[],
  imports: readonly WebAssembly.ModuleImportDescriptor[],
  producers?: Producers,
): string {
  // An @wasmgate/sdk build says so in its producers section (it imports no env.abort to go by).
  const sdk = producers?.get('processed-by')?.find(([name]) => name === '@wasmgate/sdk');
  if (sdk) {
    const as = producers?.get('language')?.find(([name]) => name === 'AssemblyScript');
    return `AssemblyScript${as ? ` ${as[1]}` : ''} (@wasmgate/sdk ${sdk[1]})`;
  }
  const ex = new Set(exports.map((e) => e.name));
  const im = new Set(imports.map((i) => `${i.module}.${i.name}`));
  if (im.has('env.emscripten_notify_memory_growth')) return 'C++ (Emscripten)';
  if (im.has('env.abort') || ex.has('__new') || ex.has('__pin')) return 'AssemblyScript';
  if (ex.has('_initialize') && im.has('wasi_snapshot_preview1.fd_prestat_get') && im.has('wasi_snapshot_preview1.poll_oneoff'))
    return 'Go (wasip1, c-shared)';
  if (ex.has('_initialize') && im.has('wasi_snapshot_preview1.poll_oneoff') && im.has('wasi_snapshot_preview1.sched_yield'))
    return 'Go (wasip1, c-shared)';
  if (ex.has('_start') && ex.has('malloc') && ex.has('proxy_on_memory_allocate')) return 'TinyGo';
  if (ex.has('_initialize') && ex.has('proxy_on_memory_allocate')) return 'Rust or C (reactor)';
  if (ex.has('_start')) return 'WASI command (_start)';
  return 'unknown';
}
