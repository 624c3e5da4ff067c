/**
 * The data-plane HTTP server of one worker: every request becomes an exchange on the generation that
 * is current when it arrives, and keeps that generation (config, upstream pools, VMs) to its end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Generation } from '../generation.js';
import { onClientError } from './client-error.js';
import { handleExchange, type ExchangeContext } from './exchange.js';
import { LeanH1 } from './h1/lean-server.js';

/**
 * The request listener both data-plane servers use (this one and the TLS one, proxy/tls-server.ts);
 * `before` may answer a request itself (the plain listener's ssl-redirect) and return true.
 */
export function dataRequestHandler(
  current: () => Generation, accessLog: ((line: string) => void) | undefined,
  before?: (gen: Generation, req: IncomingMessage, res: ServerResponse) => boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  // One context per generation, made when its first exchange starts (not one per request).
  let lastGen: Generation | undefined;
  let lastCtx: ExchangeContext | undefined;
  const contextOf = (gen: Generation): ExchangeContext => {
    if (gen !== lastGen || !lastCtx) {
      lastGen = gen;
      lastCtx = {
        config: gen.config, upstream: gen.upstream, chainFor: (r, h) => gen.chainFor(r, h), done: () => gen.leave(),
        ...(accessLog ? { accessLog } : {}),
      };
    }
    return lastCtx;
  };
  return (req, res) => {
    const gen = current();
    if (before?.(gen, req, res)) return;
    gen.enter();
    handleExchange(req, res, contextOf(gen));
  };
}

/** The plain listener's node:http server, serving with `handler` (a {@link dataRequestHandler}). */
export function createDataServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer({ keepAlive: true, requireHostHeader: false }, handler);
  server.keepAliveTimeout = 60_000;
  // Malformed HTTP from one client answers 400 on that connection only (after what it is still owed).
  server.on('clientError', onClientError);
  return server;
}

/**
 * Whether HTTP/1 goes through the lean server (h1/lean-server.ts), on the plain listener and for
 * HTTP/1.1 on the TLS one. On unless WASMGATE_HTTP1=node: node:http alone then serves HTTP/1, as
 * before the lean server existed — a way back if a client ever meets a difference, and the other
 * side of the bench's A/B.
 */
export function leanHttp1Enabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WASMGATE_HTTP1 !== 'node';
}

/**
 * The lean HTTP/1 server in front of `server`: node:http's, or node:http2's secure server, whose
 * HTTP/1 settings have the same names (untyped there) and node:http's defaults (keep-alive 5 s).
 */
export function createLeanServer(server: object, handler: (req: IncomingMessage, res: ServerResponse) => void): LeanH1 {
  const t = server as Partial<Pick<Server, 'keepAliveTimeout' | 'headersTimeout' | 'requestTimeout'>>;
  return new LeanH1((req, res) => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse), {
    keepAliveTimeoutMs: t.keepAliveTimeout ?? 5_000,
    headersTimeoutMs: t.headersTimeout ?? 60_000,
    requestTimeoutMs: t.requestTimeout ?? 300_000,
  });
}
