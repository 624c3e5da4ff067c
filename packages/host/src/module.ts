/**
 * Compiling and checking a plugin module before it ever runs (house rule 7: plugins are checked at
 * load, not on the first request): Wasm magic, compilation, ABI marker, imports, memory, allocator.
 */
import type { AbiVersion } from './abi/constants.js';
import { liftStartSection } from './abi/start-section.js';
import { readProducers } from './abi/producers.js';
import { detectAbiVersion, guessToolchain } from './abi/versions.js';
import { WasmgateError } from './errors.js';
import { findHostcall } from './hostcalls/table.js';
import { instrumentModule, type InstrumentOptions } from './instrument/instrument.js';

/** One import of a module and how wasmgate serves it. */
export interface ImportReport {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
  /** implemented: real behaviour; stub: links but answers Unimplemented/ENOSYS/…; missing: not provided. */
  readonly status: 'implemented' | 'stub' | 'missing';
}

/** What `wasmgate inspect` prints. */
export interface ModuleReport {
  readonly abiVersion: AbiVersion | undefined;
  readonly toolchain: string;
  readonly exports: readonly { name: string; kind: string }[];
  readonly imports: readonly ImportReport[];
  readonly allocator: 'proxy_on_memory_allocate' | 'malloc' | undefined;
  readonly start: '_initialize' | '_start' | 'start section or none';
  readonly sizeBytes: number;
}

/** A compiled, checked plugin module, ready to instantiate any number of VMs. */
export interface PluginModule {
  readonly module: WebAssembly.Module;
  readonly abiVersion: AbiVersion;
  readonly report: ModuleReport;
  /** sha256 of the bytes, hex (the bytes as given, before any rewriting). */
  readonly sha256: string;
  /** The limits rewritten into the module (see {@link instrumentModule}). */
  readonly limits: { readonly interrupt: boolean; readonly maxMemoryPages?: number };
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

function checkMagic(bytes: Uint8Array, label: string): void {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmgateError('WG_PLUGIN_NOT_WASM', `${label} is not a WebAssembly module (it does not start with \\0asm)`);
  }
}

/** Builds the report of a compiled module (no instantiation). */
export function reportModule(module: WebAssembly.Module, sizeBytes: number): ModuleReport {
  const exports = WebAssembly.Module.exports(module);
  const imports = WebAssembly.Module.imports(module);
  const exportNames = new Set(exports.map((e) => e.name));
  return {
    abiVersion: detectAbiVersion(exports),
    toolchain: guessToolchain(exports, imports, readProducers(module)),
    exports: exports.map((e) => ({ name: e.name, kind: e.kind })),
    imports: imports.map((i) => {
      const h = i.kind === 'function' ? findHostcall(i.module, i.name) : undefined;
      return { module: i.module, name: i.name, kind: i.kind, status: h ? h.status : 'missing' };
    }),
    allocator: exportNames.has('proxy_on_memory_allocate') ? 'proxy_on_memory_allocate' : exportNames.has('malloc') ? 'malloc' : undefined,
    start: exportNames.has('_initialize') ? '_initialize' : exportNames.has('_start') ? '_start' : 'start section or none',
    sizeBytes,
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compiles without the Proxy-Wasm checks (for inspect, which reports instead of refusing). */
export async function compileForInspect(bytes: Uint8Array, label = 'the plugin'): Promise<ModuleReport> {
  checkMagic(bytes, label);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmgateError('WG_PLUGIN_COMPILE', `${label} failed to compile: ${(e as Error).message}`, { cause: e });
  }
  return reportModule(module, bytes.length);
}

/**
 * The lifted module, rewritten for `opts` when any is set. A module the rewriter cannot decode
 * because it is corrupt is reported as V8 reports it (WG_PLUGIN_COMPILE), like without limits.
 */
function prepare(bytes: Uint8Array, label: string, opts: InstrumentOptions): Uint8Array {
  const lifted = liftStartSection(bytes);
  if (!opts.interrupt && opts.maxMemoryPages === undefined) return lifted;
  try {
    return instrumentModule(lifted, opts, label);
  } catch (e) {
    if (e instanceof WasmgateError && e.code === 'WG_PLUGIN_INSTRUMENT' && !WebAssembly.validate(lifted as Uint8Array<ArrayBuffer>)) return lifted;
    throw e;
  }
}

/**
 * Compiles and checks a plugin, rewritten first to enforce `opts` (a CPU deadline, a memory cap).
 * Throws WG_PLUGIN_NOT_WASM, WG_PLUGIN_COMPILE, WG_PLUGIN_ABI_UNKNOWN, WG_PLUGIN_LINK,
 * WG_PLUGIN_NO_MEMORY, WG_PLUGIN_NO_ALLOCATOR, and with limits WG_PLUGIN_INSTRUMENT,
 * WG_PLUGIN_MEMORY_LIMIT or WG_PLUGIN_MEMORY_UNSUPPORTED.
 */
export async function compilePlugin(bytes: Uint8Array, label = 'the plugin', opts: InstrumentOptions = {}): Promise<PluginModule> {
  checkMagic(bytes, label);
  const prepared = prepare(bytes, label, opts);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(prepared as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmgateError('WG_PLUGIN_COMPILE', `${label} failed to compile: ${(e as Error).message}`, { cause: e });
  }
  const report = reportModule(module, bytes.length);
  if (!report.abiVersion) {
    throw new WasmgateError('WG_PLUGIN_ABI_UNKNOWN', `${label} exports no Proxy-Wasm ABI marker (proxy_abi_version_0_2_1 or similar)`);
  }
  const missing = report.imports.filter((i) => i.status === 'missing');
  if (missing.length > 0) {
    throw new WasmgateError('WG_PLUGIN_LINK', `${label} imports ${missing.length} function(s) wasmgate does not provide: ${missing.map((m) => `${m.module}.${m.name}`).join(', ')}`, {
      details: missing.map((m) => `${m.module}.${m.name} (${m.kind})`),
    });
  }
  if (!report.exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new WasmgateError('WG_PLUGIN_NO_MEMORY', `${label} exports no memory named "memory"`);
  }
  if (!report.allocator) {
    throw new WasmgateError('WG_PLUGIN_NO_ALLOCATOR', `${label} exports neither proxy_on_memory_allocate nor malloc`);
  }
  const limits = { interrupt: opts.interrupt === true, ...(opts.maxMemoryPages === undefined ? {} : { maxMemoryPages: opts.maxMemoryPages }) };
  return { module, abiVersion: report.abiVersion, report, sha256: await sha256Hex(bytes), limits };
}
