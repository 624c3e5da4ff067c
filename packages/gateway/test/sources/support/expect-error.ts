/** Asserting on WasmgateErrors by code. */
import assert from 'node:assert/strict';
import { WasmgateError } from '@wasmgate/host';

/** Awaits `promise`, asserts it rejects with a WasmgateError of `code` (and message matching `re`), returns the error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, re?: RegExp): Promise<WasmgateError> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof WasmgateError, `expected a WasmgateError ${code}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  assert.ok(error.hint, `${code} should carry a hint`);
  if (re) assert.match(error.message, re);
  return error;
}
