/**
 * RESP (the Redis wire protocol) for scripted Redis replies, and the parser that turns a plugin's
 * proxy_redis_call query back into words for matching. Plugins get replies raw (buffer 9), so the
 * harness never interprets what a test scripts.
 * @module
 */
import { utf8Decode, utf8Encode } from '@wasmgate/host';

const CRLF = '\r\n';

/**
 * Builders for raw RESP replies.
 * @example
 * plugin.redis.intercept({ command: 'INCR' }).reply(resp.integer(3));
 * plugin.redis.intercept({ command: 'GET' }).reply(resp.bulk(null)); // key absent
 */
export const resp = {
  /** `+OK`. */
  ok: (): string => `+OK${CRLF}`,
  /** A simple string, `+text`. */
  simple: (text: string): string => `+${text}${CRLF}`,
  /** An error reply, `-ERR message` (pass the whole line, e.g. 'NOAUTH Authentication required.'). */
  error: (message: string): string => `-${message}${CRLF}`,
  /** An integer reply, `:n`. */
  integer: (n: number | bigint): string => `:${n}${CRLF}`,
  /** A bulk string, or the null bulk string `$-1` for null. */
  bulk: (text: string | null): string => (text === null ? `$-1${CRLF}` : `$${utf8Encode(text).length}${CRLF}${text}${CRLF}`),
  /** An array of already-encoded replies, or the null array `*-1` for null. */
  array: (items: readonly string[] | null): string => (items === null ? `*-1${CRLF}` : `*${items.length}${CRLF}${items.join('')}`),
} as const;

/**
 * Parses a RESP command (an array of bulk strings, what every Redis client sends) into its words;
 * undefined when the query is not one (the harness then matches on the raw text only).
 * @internal
 */
export function parseRespCommand(query: Uint8Array): string[] | undefined {
  let pos = 0;
  // RESP lengths count bytes, so the parser walks bytes and decodes each word on its own.
  const line = (): string | undefined => {
    for (let i = pos; i + 1 < query.length; i++) {
      if (query[i] !== 13 || query[i + 1] !== 10) continue;
      const l = utf8Decode(query.subarray(pos, i));
      pos = i + 2;
      return l;
    }
    return undefined;
  };
  const count = (prefix: string): number | undefined => {
    const l = line();
    if (!l?.startsWith(prefix)) return undefined;
    const n = Number(l.slice(1));
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const n = count('*');
  if (n === undefined) return undefined;
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = count('$');
    if (len === undefined || pos + len + 2 > query.length) return undefined;
    words.push(utf8Decode(query.subarray(pos, pos + len)));
    pos += len;
    if (query[pos] !== 13 || query[pos + 1] !== 10) return undefined;
    pos += 2;
  }
  return words;
}
