/**
 * `host:port` parsing for endpoints and listeners: `127.0.0.1:9000`, `localhost:80`, `[::1]:8080`.
 * @module
 */
import type { HostPort } from './types.js';

/** Parsed address, or the reason it is not one. */
export type ParsedAddress = { readonly ok: true; readonly value: HostPort } | { readonly ok: false; readonly reason: string };

const BRACKETED = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]:(\d{1,5})$/;
const PLAIN = /^([A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * Parses `host:port`. IPv6 hosts must be bracketed (`[::1]:80`) and come back without brackets.
 * `allowPortZero` is for listeners, where port 0 asks the OS for a free port (tests use it).
 */
export function parseHostPort(text: string, allowPortZero = false): ParsedAddress {
  const m = BRACKETED.exec(text) ?? PLAIN.exec(text);
  if (!m) {
    const reason = text.includes('://')
      ? 'must be "host:port" without a scheme'
      : /^[^[].*:.*:/.test(text)
        ? 'an IPv6 address must be bracketed, as in "[::1]:8080"'
        : 'must be "host:port", e.g. "127.0.0.1:8080" or "[::1]:8080"';
    return { ok: false, reason };
  }
  const port = Number(m[2]);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    return { ok: false, reason: `port ${port} is out of range (${allowPortZero ? 0 : 1}-65535)` };
  }
  return { ok: true, value: { host: m[1]!, port } };
}

/** Formats an address back, bracketing IPv6 hosts. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
