/**
 * The report `wasmgate build` prints after a build: size, ABI version, exports and imports, from
 * the same facts `wasmgate inspect` shows (`compileForInspect`), and a warning for every import
 * neither wasmgate nor Envoy provides.
 * @module
 */
import { compileForInspect } from '@wasmgate/host';

/** Lines to print, and the warnings among them (imports the module needs and no host provides). */
export interface BuildReport {
  readonly lines: string[];
  readonly warnings: string[];
  readonly abiVersion?: string;
  readonly sizeBytes: number;
}

/** Summarises a built module; a module that does not compile is reported as such, not thrown. */
export async function reportModule(bytes: Uint8Array, label: string): Promise<BuildReport> {
  const r = await compileForInspect(bytes, label);
  const missing = r.imports.filter((i) => i.status === 'missing');
  const stubs = r.imports.filter((i) => i.status === 'stub');
  const kib = (r.sizeBytes / 1024).toFixed(1);
  const callbacks = r.exports.filter((e) => e.name.startsWith('proxy_on_')).map((e) => e.name.slice('proxy_on_'.length));
  const lines = [
    `  size:      ${r.sizeBytes} bytes (${kib} KiB)`,
    `  abi:       ${r.abiVersion ?? 'none: the module exports no proxy_abi_version_* marker'}`,
    `  toolchain: ${r.toolchain}`,
    `  exports:   ${r.exports.length} (${callbacks.length} proxy_on_* callbacks${callbacks.length > 0 && callbacks.length <= 8 ? `: ${callbacks.join(', ')}` : ''})`,
    `  imports:   ${r.imports.length} (${r.imports.length - stubs.length - missing.length} implemented, ${stubs.length} stubs, ${missing.length} missing)`,
  ];
  const warnings: string[] = [];
  for (const m of missing) warnings.push(`imports ${m.module}.${m.name} (${m.kind}), which neither wasmgate nor Envoy provides: the plugin will fail to load`);
  if (!r.abiVersion) warnings.push('exports no Proxy-Wasm ABI marker: gateways will refuse it');
  if (!r.allocator) warnings.push('exports neither proxy_on_memory_allocate nor malloc: gateways will refuse it');
  return { lines, warnings, sizeBytes: r.sizeBytes, ...(r.abiVersion ? { abiVersion: r.abiVersion } : {}) };
}
