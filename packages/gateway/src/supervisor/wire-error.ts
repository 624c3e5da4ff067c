/**
 * WasmgateErrors across threads: a structured clone keeps only own data properties of an Error
 * (and loses the class), so errors travel as plain {code, message, hint, details, location}.
 * @module
 */
import { WasmgateError } from '@wasmgate/host';
import type { WireError } from './protocol.js';

/** The errors inside `e` (a WasmgateError whose cause is an array of errors is flattened). */
export function toWire(e: unknown): WireError[] {
  if (e instanceof WasmgateError && Array.isArray(e.cause) && e.cause.every((c) => c instanceof WasmgateError)) {
    return (e.cause as WasmgateError[]).flatMap(toWire);
  }
  if (e instanceof WasmgateError) {
    return [{ code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.details.length ? { details: [...e.details] } : {}), ...(e.location ? { location: { ...e.location } } : {}) }];
  }
  return [{ code: 'WG_PLUGIN_START_FAILED', message: e instanceof Error ? e.message : String(e) }];
}

export function fromWire(w: WireError): WasmgateError {
  return new WasmgateError(w.code, w.message, { hint: w.hint, details: w.details, location: w.location });
}

/** One error for several: the first one's code, every message, every error in `cause`. */
export function combine(errors: readonly WasmgateError[]): WasmgateError {
  const first = errors[0]!;
  if (errors.length === 1) return first;
  const message = `${errors.length} errors: ${errors.map((e) => e.message).join('; ')}`;
  return new WasmgateError(first.code, message, { cause: [...errors], details: errors.flatMap((e) => e.details) });
}

/** One error for several plugin problems: the first one's code, every message, each error in `cause`. */
export function pluginsFailed(errors: readonly WasmgateError[]): WasmgateError {
  const first = errors[0]!;
  const message = errors.length === 1 ? first.message : `${errors.length} plugins failed to load: ${errors.map((e) => e.message).join('; ')}`;
  return new WasmgateError(first.code, message, { cause: [...errors], details: errors.flatMap((e) => e.details) });
}
