/**
 * Binding a listener with a clear error. The 'error' handler is only for the bind itself and is
 * removed once listening: left behind (as an earlier version did by removing the wrong function),
 * it would swallow every later server error into an already-settled promise.
 */
import type { Server } from 'node:net';
import { WasmgateError } from '@wasmgate/host';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** SO_REUSEPORT: several workers share the port. */
  readonly reusePort?: boolean;
}

/** Resolves with the bound port; rejects with WG_PROXY_LISTEN (address in use, permission denied …). */
export function listenOn(server: Server, opts: ListenOptions): Promise<number> {
  const { host, port } = opts;
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new WasmgateError('WG_PROXY_LISTEN', `cannot listen on ${host}:${port}: ${why}`, { cause: e }));
    };
    server.once('error', onError);
    server.listen({ host, port, ...(opts.reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
