/** Prints a WasmgateError the way every command does: code, message, details, hint. */
import { WasmgateError } from '@wasmgate/host';
import type { CliIo } from './io.js';
import { redactText } from '../redact.js';

export function renderError(io: CliIo, e: unknown): number {
  if (e instanceof WasmgateError && e.code === 'WG_CLI_USAGE') {
    // One line saying what is wrong, then the command's usage (the details) as it is.
    io.err(`error ${e.code}: ${e.message}`);
    for (const d of e.details) io.err(d);
    if (e.details.length === 0 && e.hint) io.err(`hint: ${e.hint}`);
    return e.exit;
  }
  if (e instanceof WasmgateError) {
    // Masked like log lines and the admin API (redact.ts): a config error may quote a URL with a password.
    io.err(`error ${e.code}: ${redactText(e.message)}`);
    const where = e.formatLocation();
    if (where) io.err(`  at ${where}`);
    for (const d of e.details) io.err(`  ${redactText(d)}`);
    if (e.hint) io.err(`hint: ${e.hint}`);
    return e.exit;
  }
  io.err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
}
