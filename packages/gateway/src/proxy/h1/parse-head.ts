/**
 * The request heads the lean HTTP/1 server (lean-server.ts) takes itself: a strict subset of what
 * node:http accepts, checked byte by byte. Anything outside the subset is not refused here — the
 * connection is handed to node:http, which answers it exactly as it did before the lean server
 * existed (its 400s, 431, 501, `Expect`, upgrades, chunked uploads). So the lean path can only be
 * stricter than node:http, never laxer: a head it is unsure of is not its to judge.
 *
 * The subset (RFC 9112): CRLF line ends only; `method SP origin-form SP HTTP/1.x`; a method node:http
 * knows; a target of RFC 3986 characters starting with `/`; field names of token characters with the
 * colon right after the name; field values of visible ASCII, SP and HTAB; no obs-fold; at most one
 * Host (exactly one on HTTP/1.1); at most one Content-Length, 1–15 digits; no Transfer-Encoding,
 * Expect, Upgrade or Proxy-Connection; no CONNECT; at most {@link MAX_FIELDS} fields in at most
 * {@link MAX_HEAD_BYTES} bytes.
 */
import { METHODS } from 'node:http';

/** A head longer than this goes to node:http (whose own limit, 16 KiB, then applies). */
export const MAX_HEAD_BYTES = 8 * 1024;
const MAX_FIELDS = 100;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

function table(chars: string, ...ranges: [number, number][]): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) t[c] = 1;
  return t;
}
const ALNUM: [number, number][] = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];
/** RFC 9110 tchar. */
const TCHAR = table("!#$%&'*+-.^_`|~", ...ALNUM);
/** RFC 3986 unreserved, sub-delims, gen-delims but '#', and '%' (no fragment, no space, no quotes or braces). */
const TARGET = table("-._~!$&'()*+,;=:@/?[]%", ...ALNUM);
/** Visible ASCII, SP and HTAB (obs-text goes to node:http). */
const VALUE = table('\t', [0x20, 0x7e]);

const KNOWN_METHODS = new Set(METHODS);

/** One request head the lean server takes. */
export interface LeanHead {
  readonly method: string;
  readonly url: string;
  /** 0 or 1: HTTP/1.0 or HTTP/1.1. */
  readonly minor: number;
  /** Names as sent, values trimmed: [name, value, name, value, …], as node:http's rawHeaders. */
  readonly rawHeaders: string[];
  /** The Host value, or undefined (HTTP/1.0 without Host). */
  readonly host: string | undefined;
  /** Content-Length, or -1 when absent (no body). */
  readonly contentLength: number;
  /** What the client asked of the connection: `close`, `keep-alive`, or neither. */
  readonly connection: 'close' | 'keep-alive' | undefined;
}

/** Lower-case ASCII compare of buf[at, at + name.length) with `name` (given in lower case). */
function nameIs(buf: Buffer, at: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if ((buf[at + i]! | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses buf[0, end), where `end` is the index of the CRLFCRLF that ends the head. Undefined: not
 * in the subset (the caller hands the connection to node:http).
 */
export function parseHead(buf: Buffer, end: number): LeanHead | undefined {
  // A long head is node:http's (its own limit and its answer to it), however it arrived.
  if (end + 4 > MAX_HEAD_BYTES) return undefined;
  // Request line.
  let i = 0;
  while (i < end && TCHAR[buf[i]!]) i++;
  if (i === 0 || buf[i] !== SP) return undefined;
  const method = buf.toString('latin1', 0, i);
  // CONNECT is node:http's 'connect' event, not a request, whatever its target.
  if (!KNOWN_METHODS.has(method) || method === 'CONNECT') return undefined;
  const t0 = ++i;
  if (buf[t0] !== 0x2f /* '/' */) return undefined;
  while (i < end && TARGET[buf[i]!]) i++;
  if (buf[i] !== SP) return undefined;
  const url = buf.toString('latin1', t0, i);
  i++;
  // "HTTP/1.0" or "HTTP/1.1", then CRLF.
  if (i + 10 > end + 2 || buf.toString('latin1', i, i + 7) !== 'HTTP/1.') return undefined;
  const minorByte = buf[i + 7]!;
  if ((minorByte !== 0x30 && minorByte !== 0x31) || buf[i + 8] !== CR || buf[i + 9] !== LF) return undefined;
  const minor = minorByte - 0x30;
  i += 10;

  const rawHeaders: string[] = [];
  let host: string | undefined;
  let hosts = 0;
  let contentLength = -1;
  let connection: LeanHead['connection'];
  while (i < end) {
    if (rawHeaders.length >= 2 * MAX_FIELDS) return undefined;
    // Field name: token characters, then the colon (no space before it, no obs-fold line).
    const n0 = i;
    while (TCHAR[buf[i]!]) i++;
    if (i === n0 || buf[i] !== COLON) return undefined;
    const n1 = i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const v0 = i;
    while (VALUE[buf[i]!]) i++;
    // The line must end exactly here with CRLF (a bare CR or LF, or any other byte, is out).
    if (buf[i] !== CR || buf[i + 1] !== LF || i > end) return undefined;
    let v1 = i;
    while (v1 > v0 && (buf[v1 - 1] === SP || buf[v1 - 1] === HTAB)) v1--;
    i += 2;
    const nameLen = n1 - n0;
    const value = buf.toString('latin1', v0, v1);
    rawHeaders.push(buf.toString('latin1', n0, n1), value);
    const c = buf[n0]! | 0x20;
    if (c === 0x68 /* h */ && nameIs(buf, n0, nameLen, 'host')) {
      hosts++;
      host = value;
    } else if (c === 0x63 /* c */) {
      if (nameIs(buf, n0, nameLen, 'content-length')) {
        if (contentLength >= 0 || !/^\d{1,15}$/.test(value)) return undefined;
        contentLength = Number(value);
      } else if (nameIs(buf, n0, nameLen, 'connection')) {
        const v = value.toLowerCase();
        if (v === 'close') connection = 'close';
        else if (v === 'keep-alive') connection = connection ?? 'keep-alive';
        else {
          // A list: any `upgrade` goes to node:http; `close` anywhere wins.
          for (const token of v.split(',')) {
            const x = token.trim();
            if (x === 'upgrade') return undefined;
            if (x === 'close') connection = 'close';
            else if (x === 'keep-alive') connection = connection ?? 'keep-alive';
          }
        }
      }
    } else if (c === 0x74 /* t */ && nameIs(buf, n0, nameLen, 'transfer-encoding')) return undefined;
    else if (c === 0x65 /* e */ && nameIs(buf, n0, nameLen, 'expect')) return undefined;
    else if (c === 0x75 /* u */ && nameIs(buf, n0, nameLen, 'upgrade')) return undefined;
    // llhttp reads Proxy-Connection as Connection: node:http's to interpret.
    else if (c === 0x70 /* p */ && nameIs(buf, n0, nameLen, 'proxy-connection')) return undefined;
  }
  if (i !== end + 2) return undefined;
  if (hosts > 1 || (minor === 1 && hosts === 0)) return undefined;
  return { method, url, minor, rawHeaders, host, contentLength, connection };
}
