// Test helper: builds an AssemblyScript test plugin with the SDK's build API, once per (entry, abi)
// per test process, and asserts the build succeeded.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildAssemblyScript, type AbiTarget } from '../src/build.js';

/** The package root (dist/test/… → ../../). */
export const SDK_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** Compiles `test/plugins/<name>/index.ts` (or an absolute/relative-to-repo entry) into memory. */
export function buildPlugin(nameOrEntry: string, abi: AbiTarget = '0.2.100'): Promise<Uint8Array<ArrayBuffer>> {
  const entry = nameOrEntry.endsWith('.ts') ? new URL(nameOrEntry, `file://${REPO_ROOT}`).pathname
    : `${SDK_ROOT}test/plugins/${nameOrEntry}/index.ts`;
  const key = `${entry}@${abi}`;
  let p = cache.get(key);
  if (!p) {
    p = buildAssemblyScript({ entry, abi }).then((r) => {
      assert.ok(r.ok, `build of ${entry} failed:\n${r.diagnostics}`);
      return new Uint8Array(r.binary!);
    });
    cache.set(key, p);
  }
  return p;
}
