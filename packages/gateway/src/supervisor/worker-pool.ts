/**
 * The supervisor's workers: N data-plane threads, each with its own listener on the same port
 * (SO_REUSEPORT) and its own VMs. The pool starts them, moves them through a reload together
 * (prepare on all, then commit on all — or discard on all), routes shared-queue events between
 * them, replaces a worker that dies, and runs the CPU-deadline watchdog over their call slots.
 */
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import { LogLevel, releaseLockIfHeldBy, WasmgateError, type SharedStateHandle } from '@wasmgate/host';
import type { HostPort } from '../config/types.js';
import type { Logger } from '../logger.js';
import { CallSlot, type FromWorker, type GenerationPayload, type ToWorker, type WorkerInit, type WorkerInspect, type WorkerStatus } from './protocol.js';
import { Watchdog } from './watchdog.js';
import { keepRunning } from './debuggee.js';
import { combine, fromWire } from './wire-error.js';
import { listenOn } from '../proxy/listen.js';

const WORKER_URL = new URL('../worker/worker-main.js', import.meta.url);
const MAX_RESPAWN_DELAY_MS = 10_000;
const STABLE_MS = 30_000;

export interface PoolOptions {
  readonly count: number;
  readonly listen: HostPort;
  /** The HTTPS listener every worker binds too (port probed like `listen`). */
  readonly listenTls?: HostPort | undefined;
  /** The shared-state handle every worker attaches to (thread id = worker id). */
  readonly shared: SharedStateHandle;
  readonly logger: Logger;
  readonly accessLog?: ((line: string) => void) | undefined;
  /**
   * `--inspect`: each worker opens the V8 inspector on its thread and `onUrl` gets its ws:// URL;
   * the call-deadline watchdog is not started (a plugin paused at a breakpoint is not stuck).
   */
  readonly inspect?: (WorkerInspect & { readonly onUrl?: (url: string, workerId: number) => void }) | undefined;
}

/** A worker that did not answer a status request in time (busy in a long plugin call, or stuck). */
export interface UnresponsiveWorker {
  readonly workerId: number;
  readonly unresponsive: true;
}

type Request = ToWorker & { req: number };
type Distribute<T> = T extends unknown ? Omit<T, 'req'> : never;

class WorkerHandle {
  readonly worker: Worker;
  readonly slot: Int32Array;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: WasmgateError) => void }>();
  #nextReq = 1;
  exited = false;
  /** Its V8 inspector's ws:// URL (`--inspect`). */
  inspectorUrl: string | undefined;

  readonly id: number;

  constructor(id: number, init: Omit<WorkerInit, 'workerId' | 'callSlot'>, onMessage: (h: WorkerHandle, m: FromWorker) => void) {
    this.id = id;
    const callSlot = new SharedArrayBuffer(CallSlot.INTS * 4);
    this.slot = new Int32Array(callSlot);
    this.worker = new Worker(WORKER_URL, { workerData: { ...init, workerId: id, callSlot } satisfies WorkerInit });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'reply') {
        const p = this.#pending.get(m.req);
        this.#pending.delete(m.req);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(combine(m.errors.map(fromWire)));
      } else onMessage(this, m);
    });
  }

  request<T>(m: Distribute<Request>, timeoutMs?: number): Promise<T> {
    const req = this.#nextReq++;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => { this.#pending.delete(req); if (timer) clearTimeout(timer); };
      this.#pending.set(req, { resolve: (v) => { done(); resolve(v as T); }, reject: (e) => { done(); reject(e); } });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => { done(); reject(new WasmgateError('WG_WORKER_UNRESPONSIVE', `worker ${this.id} did not answer "${m.type}" within ${timeoutMs} ms`)); }, timeoutMs);
        timer.unref();
      }
      this.worker.postMessage({ ...m, req });
    });
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Every request still waiting fails (the worker is gone). */
  failPending(why: string): void {
    for (const p of this.#pending.values()) p.reject(new WasmgateError('WG_WORKER_CRASHED', why));
    this.#pending.clear();
  }
}

export class WorkerPool {
  readonly #opts: PoolOptions;
  readonly #workers = new Map<number, WorkerHandle>();
  readonly #watchdog: Watchdog;
  readonly #listen: HostPort;
  #listenTls: HostPort | undefined;
  #current: GenerationPayload;
  #closing = false;
  #crashes = new Map<number, { count: number; at: number }>();

  private constructor(opts: PoolOptions, listen: HostPort, first: GenerationPayload) {
    this.#opts = opts;
    this.#listen = listen;
    this.#current = first;
    this.#watchdog = new Watchdog(opts.logger, (id, why) => this.#terminateStuck(id, why));
  }

  /**
   * Starts `count` workers on `first` and binds their listeners. The port is checked (and, for port
   * 0, chosen) with a plain bind first: workers share it with SO_REUSEPORT, which would otherwise
   * let a second wasmgate on the same port silently take half the traffic.
   */
  static async start(opts: PoolOptions, first: GenerationPayload): Promise<WorkerPool> {
    const port = await probePort(opts.listen);
    const pool = new WorkerPool(opts, { host: opts.listen.host, port }, first);
    if (opts.listenTls) pool.#listenTls = { host: opts.listenTls.host, port: await probePort(opts.listenTls) };
    // Watching from the first spawn on: startTimeoutMs bounds the first VM starts too.
    if (!opts.inspect) pool.#watchdog.start();
    try {
      await Promise.all(Array.from({ length: opts.count }, (_, i) => pool.#spawn(i + 1)));
    } catch (e) {
      await pool.#terminateAll();
      throw e;
    }
    return pool;
  }

  get port(): number {
    return this.#listen.port;
  }

  /** The HTTPS listener's port (undefined without `listenTls`). */
  get tlsPort(): number | undefined {
    return this.#listenTls?.port;
  }

  get count(): number {
    return this.#opts.count;
  }

  async #spawn(id: number): Promise<void> {
    const h = new WorkerHandle(id, {
      listen: this.#listen, ...(this.#listenTls ? { listenTls: this.#listenTls } : {}), reusePort: this.#opts.count > 1, shared: this.#opts.shared,
      logLevel: this.#opts.logger.level, accessLog: this.#opts.accessLog !== undefined,
      ...(this.#opts.inspect ? { inspect: { host: this.#opts.inspect.host, port: this.#opts.inspect.port, breakOn: this.#opts.inspect.breakOn } } : {}),
    }, (w, m) => this.#onMessage(w, m));
    this.#workers.set(id, h);
    this.#watchdog.watch(h.id, h.slot);
    h.worker.on('error', (e) => {
      this.#opts.logger.log(LogLevel.error, `worker ${id} failed: ${e.stack ?? e.message}`, { code: 'WG_WORKER_CRASHED' });
    });
    h.worker.on('exit', (code) => this.#onExit(h, code));
    const gen = this.#current;
    await h.request({ type: 'prepare', generation: gen });
    await h.request({ type: 'commit', id: gen.id });
    await h.request<number>({ type: 'listen' });
  }

  #onExit(h: WorkerHandle, code: number): void {
    h.exited = true;
    h.failPending(`worker ${h.id} exited (code ${code})`);
    // A worker terminated inside a shared-data critical section would hold the lock forever; its
    // replacement reuses the id, which must not look like a re-entrant holder either.
    if (releaseLockIfHeldBy(this.#opts.shared, h.id)) {
      this.#opts.logger.log(LogLevel.warn, `worker ${h.id} died holding the shared-data lock; released it`);
    }
    this.#watchdog.unwatch(h.id);
    if (this.#workers.get(h.id) === h) this.#workers.delete(h.id);
    if (this.#closing) return;
    const now = Date.now();
    const last = this.#crashes.get(h.id);
    const count = last && now - last.at < STABLE_MS ? last.count + 1 : 1;
    this.#crashes.set(h.id, { count, at: now });
    const delay = Math.min(MAX_RESPAWN_DELAY_MS, count === 1 ? 0 : 250 * 2 ** (count - 2));
    this.#opts.logger.log(LogLevel.error, `worker ${h.id} exited with code ${code}; replacing it${delay ? ` in ${delay} ms` : ''}`, { code: 'WG_WORKER_CRASHED' });
    setTimeout(() => {
      if (this.#closing) return;
      this.#spawn(h.id).then(
        () => this.#opts.logger.log(LogLevel.info, `worker ${h.id} replaced and serving generation ${this.#current.id}`),
        (e: unknown) => {
          this.#opts.logger.log(LogLevel.error, `worker ${h.id} could not be replaced: ${(e as Error).message}`, { code: 'WG_WORKER_START' });
          const w = this.#workers.get(h.id);
          if (w && !w.exited) void w.worker.terminate();
        },
      );
    }, delay).unref();
  }

  #onMessage(h: WorkerHandle, m: FromWorker): void {
    switch (m.type) {
      case 'log':
        for (const l of m.lines) this.#opts.logger.write(l);
        return;
      case 'access':
        for (const l of m.lines) this.#opts.accessLog?.(l);
        return;
      case 'vm-flags':
        this.#watchdog.register(h.id, m.serial, new Int32Array(m.flags), m.plugin);
        return;
      case 'vm-gone':
        this.#watchdog.forget(h.id, m.serial);
        return;
      case 'queue-notify':
        this.#workers.get(m.to)?.send({ type: 'queue-ready', queueId: m.queueId });
        return;
      case 'inspector':
        h.inspectorUrl = m.url;
        if (this.#opts.inspect?.onUrl) this.#opts.inspect.onUrl(m.url, h.id);
        else this.#opts.logger.log(LogLevel.warn, `worker ${h.id}: V8 inspector on ${m.url}`);
        return;
      case 'reply':
        return;
    }
  }

  /** The watchdog's backstop: the worker did not leave a call long after its interrupt flag was set. */
  #terminateStuck(id: number, why: string): void {
    const h = this.#workers.get(id);
    if (!h || h.exited) return;
    this.#opts.logger.log(LogLevel.error, `worker ${id} ${why}; terminating it`, { code: 'WG_WORKER_UNRESPONSIVE' });
    void h.worker.terminate();
  }

  /**
   * Starts `gen` on every worker; only when all have started it does the caller `commit`. If any
   * fails, every worker drops it again and the error (all workers' problems) is thrown.
   */
  async prepare(gen: GenerationPayload): Promise<void> {
    const workers = [...this.#workers.values()];
    const settled = await Promise.allSettled(workers.map((w) => w.request({ type: 'prepare', generation: gen })));
    const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as WasmgateError] : []));
    if (failed.length > 0) {
      for (const w of workers) w.send({ type: 'discard', id: gen.id });
      // Every worker reports the same plugin problem; say it once.
      const seen = new Set<string>();
      throw combine(failed.flatMap((e) => (Array.isArray(e.cause) ? (e.cause as WasmgateError[]) : [e])).filter((e) => !seen.has(e.message) && seen.add(e.message)));
    }
  }

  /** Every worker drops generation `id` (prepared, never committed). */
  discard(id: number): void {
    for (const w of this.#workers.values()) w.send({ type: 'discard', id });
  }

  /** Every worker switches to `gen` (prepared before); a worker started later starts on it too. */
  async commit(gen: GenerationPayload): Promise<void> {
    this.#current = gen;
    await Promise.allSettled([...this.#workers.values()].map((w) => w.request({ type: 'commit', id: gen.id })));
  }

  /** Each worker's status; a worker busy past `timeoutMs` is reported as unresponsive. */
  async status(timeoutMs = 250): Promise<(WorkerStatus | UnresponsiveWorker)[]> {
    const ids = [...this.#workers.keys()].sort((a, b) => a - b);
    return Promise.all(ids.map((id) => this.#workers.get(id)!.request<WorkerStatus>({ type: 'status' }, timeoutMs)
      .catch((): UnresponsiveWorker => ({ workerId: id, unresponsive: true }))));
  }

  setLogLevel(level: number): void {
    for (const w of this.#workers.values()) w.send({ type: 'log-level', level });
  }

  /** Graceful stop of every worker (drain up to `drainMs`), then their threads end. */
  async close(drainMs: number): Promise<void> {
    this.#closing = true;
    this.#watchdog.stop();
    const workers = [...this.#workers.values()];
    // --inspect: a worker paused in a debugger would never close (nor terminate): resume it as needed.
    const released = workers.flatMap((w) => (w.inspectorUrl ? [keepRunning(w.inspectorUrl)] : []));
    // A worker inside a long plugin call answers once the deadline interrupts it; past the drain
    // time (plus a little for the answer itself) it is terminated regardless.
    await Promise.allSettled(workers.map((w) => w.request({ type: 'close', drainMs }, drainMs + 2000)));
    await this.#terminateAll();
    for (const r of released) r();
  }

  async #terminateAll(): Promise<void> {
    this.#closing = true;
    this.#watchdog.stop();
    await Promise.all([...this.#workers.values()].map((w) => (w.exited ? undefined : w.worker.terminate())));
    this.#workers.clear();
  }
}

/** Binds `listen` without SO_REUSEPORT and lets go again: EADDRINUSE if anyone holds it; the port chosen for 0. */
async function probePort(listen: HostPort): Promise<number> {
  const srv = createServer();
  const port = await listenOn(srv, listen);
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
