/**
 * Compiled plugin modules by the sha256 of their bytes and the limits rewritten into them. Hot
 * reloads usually change configuration, not binaries, and V8 compiles a Go plugin in 20–40 ms:
 * reusing the compiled module makes such a reload cost only instantiate + start + configure. A
 * WebAssembly.Module is immutable and can back any number of instances (in any worker), so sharing
 * it between generations is safe. Bounded (least recently used out) so swapping binaries back and
 * forth does not keep every version alive.
 */
import { compilePlugin, type InstrumentOptions, type PluginModule } from '@wasmgate/host';

const MAX_MODULES = 16;
const modules = new Map<string, PluginModule>();

/** The compiled module for these bytes and limits, compiling (and checking) them only the first time. */
export async function compileCached(bytes: Uint8Array, sha256: string, label: string, limits: InstrumentOptions = {}): Promise<PluginModule> {
  const key = `${sha256}:${limits.interrupt ? 'i' : ''}:${limits.maxMemoryPages ?? ''}`;
  const hit = modules.get(key);
  if (hit) {
    modules.delete(key);
    modules.set(key, hit);
    return hit;
  }
  const mod = await compilePlugin(bytes, label, limits);
  // Key by what the host computed, so a wrong caller-supplied digest cannot alias two modules.
  if (mod.sha256 === sha256) {
    modules.set(key, mod);
    if (modules.size > MAX_MODULES) modules.delete(modules.keys().next().value!);
  }
  return mod;
}
