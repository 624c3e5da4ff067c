/** A throwaway node:http server on 127.0.0.1:0 for source tests. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running server: its origin (`http://127.0.0.1:port`), host (`127.0.0.1:port`) and close(). */
export interface TestServer {
  readonly origin: string;
  readonly host: string;
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1:0; close() also drops keep-alive and hanging connections. */
export async function serve(handler: RequestListener): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
