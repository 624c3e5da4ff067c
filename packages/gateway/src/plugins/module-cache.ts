/**
 * Compiled plugin modules by the sha256 of their bytes. Hot reloads usually change configuration,
 * not binaries, and V8 compiles a Go plugin in 20–40 ms: reusing the compiled module makes such a
 * reload cost only instantiate + start + configure. A WebAssembly.Module is immutable and can back
 * any number of instances, so sharing it between generations is safe. Bounded (least recently used
 * out) so swapping binaries back and forth does not keep every version alive.
 */
import { compilePlugin, type PluginModule } from '@wasmgate/host';

const MAX_MODULES = 16;
const modules = new Map<string, PluginModule>();

/** The compiled module for these bytes, compiling (and checking) them only the first time. */
export async function compileCached(bytes: Uint8Array, sha256: string, label: string): Promise<PluginModule> {
  const hit = modules.get(sha256);
  if (hit) {
    modules.delete(sha256);
    modules.set(sha256, hit);
    return hit;
  }
  const mod = await compilePlugin(bytes, label);
  // Key by what the host computed, so a wrong caller-supplied digest cannot alias two modules.
  if (mod.sha256 === sha256) {
    modules.set(sha256, mod);
    if (modules.size > MAX_MODULES) modules.delete(modules.keys().next().value!);
  }
  return mod;
}
