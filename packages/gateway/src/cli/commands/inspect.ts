/**
 * `wasmgate inspect <file.wasm> [--json]`: ABI version, likely toolchain, exports, and which imports
 * wasmgate serves for real, which only as stubs, and which it lacks.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileForInspect, WasmgateError } from '@wasmgate/host';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { INSPECT } from '../specs.js';
import '../errors.js';

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  try {
    const parsed = parseCommand(INSPECT, args);
    if (parsed.help) {
      io.out(usageText(INSPECT));
      return 0;
    }
    const json = parsed.values.json === true;
    const file = parsed.positionals[0]!;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(resolve(io.cwd, file));
    } catch (e) {
      throw new WasmgateError('WG_CLI_FILE', `cannot read ${file}: ${(e as Error).message}`, { exit: 2 });
    }
    const r = await compileForInspect(bytes, file);
    const missing = r.imports.filter((i) => i.status === 'missing');
    const stubs = r.imports.filter((i) => i.status === 'stub');
    if (json) io.out(JSON.stringify(r, null, 2));
    else {
      io.out(`file:       ${file} (${r.sizeBytes} bytes)`);
      io.out(`abi:        ${r.abiVersion ?? 'none (not a Proxy-Wasm plugin)'}`);
      io.out(`toolchain:  ${r.toolchain}`);
      io.out(`start:      ${r.start}`);
      io.out(`allocator:  ${r.allocator ?? 'none'}`);
      io.out(`exports:    ${r.exports.map((e) => e.name).join(', ')}`);
      io.out(`imports:    ${r.imports.length} (${r.imports.length - stubs.length - missing.length} implemented, ${stubs.length} stubs, ${missing.length} missing)`);
      for (const s of stubs) io.out(`  stub      ${s.module}.${s.name}  (links; answers Unimplemented/ENOSYS/BADF/NOENT)`);
      for (const m of missing) io.out(`  MISSING   ${m.module}.${m.name} (${m.kind})`);
    }
    if (!r.abiVersion) throw new WasmgateError('WG_PLUGIN_ABI_UNKNOWN', `${file} exports no Proxy-Wasm ABI marker`);
    if (missing.length > 0) throw new WasmgateError('WG_PLUGIN_LINK', `${file} imports ${missing.length} function(s) wasmgate does not provide: ${missing.map((m) => `${m.module}.${m.name}`).join(', ')}`);
    if (!r.allocator) throw new WasmgateError('WG_PLUGIN_NO_ALLOCATOR', `${file} exports neither proxy_on_memory_allocate nor malloc`);
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};
