/** Plugin bytes for tests: the Go fixture when the repo has it, else tiny valid modules. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/test/sources/support/ (compiled location). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../../', import.meta.url));

/** The empty module: magic + version. */
export const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A valid module that differs by `label`, held in a custom section. */
export function labelledWasm(label: string): Uint8Array {
  const name = new TextEncoder().encode(label);
  if (name.length > 100) throw new Error('label too long for this tiny encoder');
  return new Uint8Array([...EMPTY_WASM, 0x00, name.length + 1, name.length, ...name]);
}

/** The real Go plugin fixture when present (another engineer copies it in), else a labelled module. */
export function pluginWasm(): Uint8Array {
  const path = `${REPO_ROOT}fixtures/go/headers-bench/plugin.wasm`;
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : labelledWasm('wasmgate-test-plugin');
}
