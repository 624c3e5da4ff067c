/**
 * Building small modules from WAT inside a test (wabt, a dev dependency): variants of the committed
 * hostcall-proxy with another ABI marker, and trampolines for imports hostcall-proxy does not have
 * (toolchain extras in `env`, WASI). The committed fixtures stay the primary binaries.
 */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { compilePlugin, type PluginModule } from '@wasmgate/host';
import { fixturePath } from './fixtures.js';

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

/** Assembles WAT text into a binary module. */
export async function watToWasm(name: string, text: string): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const mod = wabt.parseWat(name, text);
  try {
    mod.resolveNames();
    mod.validate();
    return mod.toBinary({ log: false }).buffer;
  } finally {
    mod.destroy();
  }
}

/** Assembles and checks a plugin written as WAT text. */
export async function compileWat(name: string, text: string): Promise<PluginModule> {
  return compilePlugin(await watToWasm(name, text), name);
}

const variants = new Map<string, Promise<PluginModule>>();

/**
 * hostcall-proxy with its ABI marker replaced (`proxy_abi_version_0_1_0`, `…_0_2_0`, `…_0_2_100`),
 * to run the same hostcall or status-mapping case under each ABI version.
 */
export function proxyWithMarker(marker: string): Promise<PluginModule> {
  let p = variants.get(marker);
  if (!p) {
    const src = readFileSync(fixturePath('fixtures/wat/hostcall-proxy.wat'), 'utf8');
    if (!src.includes('"proxy_abi_version_0_2_1"')) throw new Error('hostcall-proxy.wat no longer exports proxy_abi_version_0_2_1');
    p = compileWat(`hostcall-proxy-${marker}.wat`, src.replace('"proxy_abi_version_0_2_1"', `"${marker}"`));
    variants.set(marker, p);
  }
  return p;
}
