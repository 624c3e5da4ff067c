/**
 * The upstream `wasmgate run` uses when the user names none: it answers every request with the
 * request itself as JSON, so the effect of a plugin's header and body rewrites is visible at once.
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running echo backend. */
export interface EchoBackend {
  readonly host: string;
  readonly port: number;
  /** Stops listening and closes open keep-alive connections. */
  close(): Promise<void>;
}

/** What the echo backend answers with (`content-type: application/json`). */
export interface EchoReply {
  readonly method: string;
  /** Request target as sent, query included. */
  readonly path: string;
  readonly host: string;
  /** Lower-cased names; a repeated header becomes an array in arrival order. */
  readonly headers: Record<string, string | string[]>;
  /** The body as text when it is valid UTF-8 … */
  readonly body?: string;
  /** … otherwise base64, so binary bodies survive the JSON. */
  readonly bodyBase64?: string;
}

/** Requests bigger than this get 413: the echo is a debugging aid, not a sink. */
const MAX_ECHO_BODY = 16 * 1024 * 1024;

/**
 * Starts the echo backend on 127.0.0.1 and a free port (or on `listen`).
 * @example
 * const echo = await createEchoBackend();
 * // GET http://127.0.0.1:${echo.port}/x → {"method":"GET","path":"/x","host":"…","headers":{…},"body":""}
 * await echo.close();
 */
export async function createEchoBackend(listen: { host?: string; port?: number } = {}): Promise<EchoBackend> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ECHO_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large for the echo backend\n');
        return;
      }
      const out = JSON.stringify(echoOf(req, Buffer.concat(chunks, size)));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
    });
    req.on('error', () => res.destroy());
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Idle keep-alive connections would otherwise hold close() open until they time out.
      server.closeAllConnections();
    }),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function echoOf(req: http.IncomingMessage, body: Buffer): EchoReply {
  // fromEntries-style own properties: a header named `__proto__` stays an ordinary key.
  const headers: Record<string, string | string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const prev = Object.hasOwn(headers, name) ? headers[name] : undefined;
    const next = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    Object.defineProperty(headers, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  const base = { method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', headers };
  try {
    return { ...base, body: utf8.decode(body) };
  } catch {
    return { ...base, bodyBase64: body.toString('base64') };
  }
}
