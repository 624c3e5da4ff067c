/**
 * One worker's data plane: its listener (SO_REUSEPORT, so the kernel spreads connections over the
 * workers), the generation serving new exchanges, generations prepared for a reload, and old ones
 * draining. The supervisor drives it through prepare → commit/discard, so a reload switches every
 * worker only once every worker has started the new plugins.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Generation, type GenerationEnv } from '../generation.js';
import { createDataServer, createLeanServer, dataRequestHandler, leanHttp1Enabled } from '../proxy/data-server.js';
import type { LeanH1 } from '../proxy/h1/lean-server.js';
import { acceptH2c, createTlsDataServer, setDefaultCertificate, sslRedirect } from '../proxy/tls-server.js';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { listenOn } from '../proxy/listen.js';
import { workerMetrics } from '../observability/exchange-observer.js';
import { flushTracing } from '../observability/tracing.js';
import { trafficSnapshot } from '../proxy/traffic-stats.js';
import type { GenerationPayload, WorkerInit, WorkerStatus } from '../supervisor/protocol.js';
import { LogLevel, WasmgateError } from '@wasmgate/host';
import { threadId } from 'node:worker_threads';

const DRAIN_WARN_MS = 30_000;

export class DataPlane {
  readonly #init: WorkerInit;
  readonly #env: GenerationEnv;
  readonly #server: Server;
  /** The plain listener's lean HTTP/1 server (undefined: node:http serves all of HTTP/1). */
  readonly #lean: LeanH1 | undefined;
  /** The TLS listener's (HTTP/1.1 by ALPN), when there are both. */
  #leanTls: LeanH1 | undefined;
  /** The HTTPS listener (`listenTls`), HTTP/2 and HTTP/1.1 by ALPN. */
  readonly #tls: Http2SecureServer | undefined;
  /** Its bound port, for ssl-redirect's Location. */
  #tlsPort: number | undefined;
  /** Sockets and sessions of the TLS listener and of h2c on the plain one. */
  readonly #tlsSockets = new Set<Socket>();
  /** Plain-listener connections that have not sent their first bytes yet (see acceptH2c): idle by definition. */
  readonly #unclaimed = new Set<Socket>();
  readonly #tlsSessions = new Set<ServerHttp2Session>();
  #current: Generation | undefined;
  readonly #pending = new Map<number, Generation>();
  readonly #draining = new Set<Generation>();
  #listening = false;

  constructor(init: WorkerInit, env: GenerationEnv, accessLog: ((line: string) => void) | undefined) {
    this.#init = init;
    this.#env = env;
    const current = () => this.#current!;
    const redirect = (gen: Generation, req: IncomingMessage, res: ServerResponse) => sslRedirect(gen.config, this.#tlsPort, req, res);
    // One request handler for the plain listener's three servers: node:http, the lean HTTP/1 server
    // (first; node:http serves what it does not take) and h2c.
    const handler = dataRequestHandler(current, accessLog, redirect);
    this.#server = createDataServer(handler);
    this.#lean = leanHttp1Enabled() ? createLeanServer(this.#server, handler) : undefined;
    // h2c by prior knowledge on the plain listener; its connections are closed like the TLS ones.
    this.#track(acceptH2c(this.#server, handler, this.#unclaimed, this.#lean));
    if (init.listenTls) {
      const tlsHandler = dataRequestHandler(current, accessLog);
      this.#tls = createTlsDataServer(current, tlsHandler, this.#lean ? (s) => (this.#leanTls = createLeanServer(s, tlsHandler)) : undefined);
      this.#track(this.#tls);
    }
  }

  /** Connections and HTTP/2 sessions of the servers node:http's closeIdle/AllConnections do not cover. */
  #track(server: Http2SecureServer | Http2Server): void {
    server.on('connection', (s: Socket) => {
      this.#tlsSockets.add(s);
      s.once('close', () => this.#tlsSockets.delete(s));
    });
    server.on('session', (s: ServerHttp2Session) => {
      this.#tlsSessions.add(s);
      s.once('close', () => this.#tlsSessions.delete(s));
    });
  }

  /** The generation new exchanges start on (undefined before the first commit). */
  get current(): Generation | undefined {
    return this.#current;
  }

  /** Starts the generation's plugins; it serves nothing until `commit`. */
  async prepare(payload: GenerationPayload): Promise<void> {
    const gen = await Generation.create(payload, this.#env);
    this.#pending.set(payload.id, gen);
  }

  /** New exchanges start on generation `id` from now on; the previous one drains. */
  commit(id: number): void {
    const next = this.#pending.get(id);
    if (!next) throw new WasmgateError('WG_WORKER_PROTOCOL', `worker ${this.#init.workerId}: no prepared generation ${id} to commit`);
    this.#pending.delete(id);
    const old = this.#current;
    this.#current = next;
    if (this.#tls) setDefaultCertificate(this.#tls, next.config);
    if (old) this.#retire(old);
  }

  discard(id: number): void {
    const gen = this.#pending.get(id);
    this.#pending.delete(id);
    void gen?.release();
  }

  #retire(old: Generation): void {
    this.#draining.add(old);
    const slow = setTimeout(() => {
      this.#env.logger.log(LogLevel.warn, `generation ${old.id} still has ${old.inFlight} exchange(s) in flight ${DRAIN_WARN_MS / 1000} s after the reload; its VMs stay loaded until they finish`);
    }, DRAIN_WARN_MS);
    slow.unref();
    void old.release().then(() => {
      clearTimeout(slow);
      this.#draining.delete(old);
      this.#env.logger.log(LogLevel.debug, `generation ${old.id} drained and released`);
    });
  }

  /** Binds the listener (after the first commit); resolves with the port. */
  async listen(): Promise<number> {
    const port = await listenOn(this.#server, { ...this.#init.listen, reusePort: this.#init.reusePort });
    this.#listening = true;
    // From now on a server error is not a bind error: log it (unhandled, it would kill the worker).
    this.#server.on('error', (e) => this.#env.logger.log(LogLevel.error, `worker ${this.#init.workerId} listener: ${e.message}`));
    if (this.#tls && this.#init.listenTls) {
      try {
        this.#tlsPort = await listenOn(this.#tls, { ...this.#init.listenTls, reusePort: this.#init.reusePort });
      } catch (e) {
        this.#server.close();
        this.#listening = false;
        throw e;
      }
      this.#tls.on('error', (e) => this.#env.logger.log(LogLevel.error, `worker ${this.#init.workerId} TLS listener: ${e.message}`));
    }
    return port;
  }

  status(): WorkerStatus {
    const gen = this.#current;
    const now = Date.now();
    return {
      workerId: this.#init.workerId,
      threadId,
      generation: gen?.id ?? 0,
      inFlight: gen?.inFlight ?? 0,
      draining: [...this.#draining].map((g) => ({ generation: g.id, inFlight: g.inFlight, sinceMs: now - (g.retiredAt ?? now) })),
      plugins: gen ? [...gen.plugins.values()].map((p) => p.status()) : [],
      skipped: gen ? [...gen.skipped].map(([k, e]) => [k, { code: e.code, message: e.message }] as const) : [],
      heapUsedBytes: process.memoryUsage().heapUsed,
      listening: this.#listening,
      metrics: workerMetrics.snapshot(),
      traffic: trafficSnapshot(),
    };
  }

  /** Keep-alive connections between two requests, node:http's and the lean servers'. */
  #closeIdleConnections(): void {
    this.#server.closeIdleConnections();
    this.#lean?.closeIdle();
    this.#leanTls?.closeIdle();
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, in-flight exchanges
   * given up to `drainMs` to finish; then every connection is closed and every generation released.
   */
  async close(drainMs: number): Promise<void> {
    const server = this.#server;
    const tls = this.#tlsPort !== undefined ? this.#tls : undefined;
    const closed = new Promise<void>((resolve) => {
      if (!this.#listening) return resolve();
      server.close(() => resolve());
    });
    const tlsClosed = new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    // HTTP/2 clients get GOAWAY: in-flight streams finish, no new ones start.
    for (const s of this.#tlsSessions) s.close();
    this.#listening = false;
    this.#closeIdleConnections();
    for (const s of this.#unclaimed) s.destroy();
    // A keep-alive connection becomes idle when its exchange ends: close those as they appear.
    const sweep = setInterval(() => this.#closeIdleConnections(), 50);
    const gens = [...(this.#current ? [this.#current] : []), ...this.#draining, ...this.#pending.values()];
    const drained = Promise.all(gens.map((g) => g.release()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), drainMs); });
    const outcome = await Promise.race([drained.then(() => 'drained' as const), timeout]);
    clearTimeout(timer);
    clearInterval(sweep);
    if (outcome === 'timeout') {
      const left = gens.reduce((n, g) => n + g.inFlight, 0);
      this.#env.logger.log(LogLevel.warn, `worker ${this.#init.workerId}: ${left} exchange(s) still in flight after the ${drainMs} ms drain timeout; closing their connections`);
    }
    server.closeAllConnections();
    this.#lean?.closeAll();
    this.#leanTls?.closeAll();
    for (const s of this.#tlsSockets) s.destroy();
    await closed;
    await tlsClosed;
    await flushTracing();
  }
}
