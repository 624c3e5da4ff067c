/**
 * The gateway's supervisor (the main thread): configuration, validation, plugin fetching and
 * compiling, reloads, the admin listener, shared-state and metrics aggregation, and the data-plane
 * workers (see supervisor/worker-pool.ts). Plugins never run on this thread, so the admin listener
 * and signal handling stay responsive whatever a plugin does. Reloads validate the new config
 * completely and start every plugin on every worker before swapping; anything that fails leaves the
 * previous generation serving. Reloads never run concurrently: one asked for while another runs is
 * queued (and merged with any other waiting one).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { attachSharedState, createSharedStateHandle, LogLevel, WasmgateError, type MetricStore, type SharedDataStore } from '@wasmgate/host';
import { loadConfig } from './config/index.js';
import { formatHostPort } from './config/address.js';
import type { Config, ConfigOverrides, HostPort } from './config/types.js';
import type { Logger } from './logger.js';
import { handleAdmin } from './admin/admin.js';
import { listenOn } from './proxy/listen.js';
import { fingerprint, problemsOf, toProblem, type ReloadOutcome, type ReloadProblem } from './reload-outcome.js';
import { preparePlugins } from './supervisor/prepare-plugins.js';
import type { GenerationPayload, PreparedPlugin, WorkerStatus } from './supervisor/protocol.js';
import { pluginsFailed, toWire } from './supervisor/wire-error.js';
import { WorkerPool, type PoolOptions, type UnresponsiveWorker } from './supervisor/worker-pool.js';
import { FileWatcher } from './watch-files.js';
import './proxy/errors.js';
import './supervisor/errors.js';

export type { ReloadOutcome, ReloadProblem } from './reload-outcome.js';

export interface GatewayOptions {
  /** Config files or folders (what `--config` named), re-read on reload. */
  readonly configPaths: readonly string[];
  readonly overrides?: ConfigOverrides;
  readonly logger: Logger;
  /** Access-log sink (JSON lines); undefined = none. */
  readonly accessLog?: (line: string) => void;
  /** Watch config files and file:// plugins for changes (default true). */
  readonly watch?: boolean;
  /** Quiet time after the last file event before a file-change reload starts (default 150 ms). */
  readonly watchDebounceMs?: number;
  readonly cacheDir?: string;
  /**
   * Plugin debugging (`--inspect`): one worker, whose thread opens the V8 inspector on host:port
   * (0: a free port) and whose ws:// URL goes to `onUrl`; no call deadline. See docs/debugging.md.
   */
  readonly inspect?: PoolOptions['inspect'];
}

/** How many reload outcomes {@link Gateway.reloadHistory} keeps. */
export const RELOAD_HISTORY = 20;

/** Options of {@link Gateway.reload}. */
export interface ReloadOptions {
  /** Do nothing when the config texts and file:// plugin bytes are those the last attempt read. */
  readonly ifChanged?: boolean;
}

interface ReadConfig {
  readonly config?: Config;
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
  readonly fingerprint: string;
  /** Local plugin files the config names, even a broken one (watched, so creating one reloads). */
  readonly pluginFiles?: readonly string[];
}

/** The generation serving, as the supervisor knows it (the VMs themselves live in the workers). */
export interface GenerationInfo {
  /** 1 for the generation `start` loaded, then one more per successful reload. */
  readonly id: number;
  readonly config: Config;
  readonly loadedAt: string;
  readonly plugins: ReadonlyMap<string, PreparedPlugin>;
  /** FAIL_OPEN plugins the supervisor could not fetch or compile. */
  readonly skipped: ReadonlyMap<string, WasmgateError>;
}

/** A generation still finishing exchanges in some worker after a reload swapped it out. */
export interface DrainingGeneration {
  readonly generation: number;
  readonly inFlight: number;
  readonly sinceMs: number;
  readonly workerId: number;
}

export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #logger: Logger;
  #pool!: WorkerPool;
  #current!: GenerationInfo;
  #first!: Config;
  #shared!: { sharedData: SharedDataStore; metrics: MetricStore };
  #admin: Server | undefined;
  #watcher: FileWatcher | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: Promise<ReloadOutcome> | undefined;
  #queuedTriggers: string[] = [];
  #queuedForce = false;
  #lastFingerprint = '';
  #nextGeneration = 1;
  #closing = false;
  #lastReload: ReloadOutcome | undefined;
  /** The last {@link RELOAD_HISTORY} reload outcomes (start included), oldest first; attempts that did nothing are not kept. */
  readonly reloadHistory: ReloadOutcome[] = [];
  /** The last reload attempt's outcome (`start` until the first reload); setting it also appends to reloadHistory. */
  get lastReload(): ReloadOutcome | undefined {
    return this.#lastReload;
  }
  set lastReload(outcome: ReloadOutcome | undefined) {
    this.#lastReload = outcome;
    if (!outcome) return;
    this.reloadHistory.push(outcome);
    if (this.reloadHistory.length > RELOAD_HISTORY) this.reloadHistory.splice(0, this.reloadHistory.length - RELOAD_HISTORY);
  }
  /** Successful reloads (swaps) since start. */
  reloadCount = 0;
  /** Reload attempts that failed and left the previous generation serving. */
  reloadFailures = 0;

  private constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.#logger = opts.logger;
  }

  /** Loads the config and every plugin on every worker; throws a WasmgateError (all config errors in details) on failure. */
  static async start(opts: GatewayOptions): Promise<Gateway> {
    const gw = new Gateway(opts);
    const started = Date.now();
    const read = gw.#readConfig();
    if (!read.config) throw configInvalid(read.errors);
    const config = read.config;
    gw.#first = config;
    gw.#lastFingerprint = read.fingerprint;
    const handle = createSharedStateHandle();
    // The supervisor attaches too (thread 0) to read shared data and metrics for the admin API.
    gw.#shared = attachSharedState(handle, { threadId: 0, notifyQueueReady: () => undefined });
    const payload = await gw.#prepare(config);
    if (payload.errors.length > 0) throw pluginsFailedInOrder(payload.errors);
    gw.#nextGeneration++;
    // One debuggee: with --inspect every request runs on the one thread the debugger is attached to.
    const workers = opts.inspect ? 1 : config.gateway.workers ?? availableParallelism();
    gw.#pool = await WorkerPool.start({ count: workers, listen: config.gateway.listen, listenTls: config.gateway.listenTls, shared: handle, logger: opts.logger, accessLog: opts.accessLog, inspect: opts.inspect }, payload.payload);
    gw.#current = payload.info;
    gw.lastReload = gw.#outcome(true, 'start', started, [], gw.#warningsOf(read, payload.info));
    try {
      gw.#admin = createServer((req, res) => void handleAdmin(req, res, gw));
      await listenOn(gw.#admin, config.gateway.admin);
      gw.#admin.on('error', (e) => opts.logger.log(LogLevel.error, `admin listener: ${e.message}`));
    } catch (e) {
      await gw.close();
      throw e;
    }
    if (opts.watch !== false) {
      gw.#watcher = new FileWatcher((files) => void gw.reload(`file changed: ${files.join(', ')}`, { ifChanged: true }), opts.logger, opts.watchDebounceMs);
      gw.#rewatch(config);
    }
    return gw;
  }

  /** Fetches and compiles the plugins of `config` (on this thread) into what workers instantiate. */
  async #prepare(config: Config): Promise<{ payload: GenerationPayload; info: GenerationInfo; errors: WasmgateError[] }> {
    const prepared = await preparePlugins(config, this.#fetchOptions(config), this.#logger, { asBuilt: this.#opts.inspect !== undefined });
    const id = this.#nextGeneration;
    const payload: GenerationPayload = { id, config, plugins: prepared.plugins, skipped: [...prepared.skipped].map(([k, e]) => [k, toWire(e)[0]!] as const) };
    const info: GenerationInfo = { id, config, loadedAt: new Date().toISOString(), plugins: new Map(prepared.plugins.map((p) => [p.key, p])), skipped: prepared.skipped };
    return { payload, info, errors: prepared.errors };
  }

  /** Reads and validates the config; the digest is of exactly the texts that were validated. */
  #readConfig(): ReadConfig {
    // The same pipeline as `wasmgate validate` (and serve's first check): they never disagree.
    const result = loadConfig(this.#opts.configPaths, this.#opts.overrides ?? {});
    const config = result.errors.length === 0 ? result.config : undefined;
    return {
      ...(config ? { config } : {}), errors: result.errors, warnings: result.warnings,
      fingerprint: fingerprint(result.texts ?? [], config), pluginFiles: result.pluginFiles ?? [],
    };
  }

  #fetchOptions(config: Config) {
    return {
      insecureRegistries: config.gateway.insecureRegistries,
      ...(config.gateway.imagePullSecret ? { pullSecretFile: config.gateway.imagePullSecret } : {}),
      ...(this.#opts.cacheDir ? { cacheDir: this.#opts.cacheDir } : {}),
    };
  }

  /** The data-plane address (every worker listens on it). */
  get address(): AddressInfo {
    const l = this.#current.config.gateway.listen;
    return { address: l.host, port: this.#pool.port, family: l.host.includes(':') ? 'IPv6' : 'IPv4' };
  }

  /** The HTTPS data-plane address (`listenTls`), undefined without one. */
  get tlsAddress(): AddressInfo | undefined {
    const l = this.#current.config.gateway.listenTls;
    const port = this.#pool.tlsPort;
    return l && port !== undefined ? { address: l.host, port, family: l.host.includes(':') ? 'IPv6' : 'IPv4' } : undefined;
  }

  get adminAddress(): AddressInfo {
    return this.#admin!.address() as AddressInfo;
  }

  /** The generation new exchanges start on. */
  get generation(): GenerationInfo {
    return this.#current;
  }

  /** Number of data-plane worker threads. */
  get workers(): number {
    return this.#pool.count;
  }

  /** Each worker's status (plugins, VMs, in-flight and draining exchanges); busy workers are marked unresponsive. */
  workerStatus(timeoutMs?: number): Promise<(WorkerStatus | UnresponsiveWorker)[]> {
    return this.#pool.status(timeoutMs);
  }

  /**
   * Resolves once every worker has delivered the log and access-log lines it wrote so far (a round
   * trip to each worker: its lines travel on the same channel, ahead of its answer).
   */
  async settle(): Promise<void> {
    await this.workerStatus(5000);
  }

  /** Swapped-out generations whose exchanges have not all finished yet, per worker. */
  async draining(): Promise<DrainingGeneration[]> {
    const status = await this.workerStatus();
    return status.flatMap((w) => ('unresponsive' in w ? [] : w.draining.map((d) => ({ ...d, workerId: w.workerId }))));
  }

  /** Exchanges in flight on the serving generation, over every worker that answered. */
  async inFlight(): Promise<number> {
    const status = await this.workerStatus();
    return status.reduce((n, w) => n + ('unresponsive' in w ? 0 : w.inFlight), 0);
  }

  /** Process-wide plugin metrics (every worker's VMs write to the same store). */
  get metrics(): MetricStore {
    return this.#shared.metrics;
  }

  /** Process-wide shared data (proxy_get/set_shared_data), as every worker sees it. */
  get sharedData(): SharedDataStore {
    return this.#shared.sharedData;
  }

  /** Folders the file watcher watches (empty with `watch: false`). */
  get watching(): string[] {
    return this.#watcher?.watching ?? [];
  }

  /** True from `close()` on. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Validates and loads the new config and plugins, then swaps; the old generation drains. Asked
   * for while a reload runs, it waits for that one and runs once more (callers waiting at the same
   * time share that run and its outcome), so a change made during a reload is never lost.
   */
  reload(trigger = 'manual', opts: ReloadOptions = {}): Promise<ReloadOutcome> {
    if (this.#running) {
      this.#queuedTriggers.push(trigger);
      if (!opts.ifChanged) this.#queuedForce = true;
      // #doReload never rejects; the catch only guards the queue against a bug there.
      this.#queued ??= this.#running.catch(() => undefined).then(() => {
        const triggers = this.#queuedTriggers.splice(0);
        const force = this.#queuedForce;
        this.#queued = undefined;
        this.#queuedForce = false;
        return this.#run([...new Set(triggers)].join('; '), !force);
      });
      return this.#queued;
    }
    return this.#run(trigger, opts.ifChanged === true);
  }

  #run(trigger: string, ifChanged: boolean): Promise<ReloadOutcome> {
    const p = this.#doReload(trigger, ifChanged).finally(() => {
      if (this.#running === p) this.#running = undefined;
    });
    this.#running = p;
    return p;
  }

  async #doReload(trigger: string, ifChanged: boolean): Promise<ReloadOutcome> {
    const started = Date.now();
    if (this.#closing) return { ...this.lastReload!, skipped: 'shutting down' };
    let read: ReadConfig;
    try {
      read = this.#readConfig();
    } catch (e) {
      read = { errors: [e instanceof WasmgateError ? e : new WasmgateError('WG_CONFIG_READ', String(e), { cause: e })], warnings: [], fingerprint: '' };
    }
    if (ifChanged && read.fingerprint === this.#lastFingerprint) {
      this.#logger.log(LogLevel.debug, `reload (${trigger}) skipped: config and plugin files are as the last reload read them`);
      return { ...this.lastReload!, skipped: 'unchanged' };
    }
    this.#lastFingerprint = read.fingerprint;
    if (this.#watcher && read.config) this.#rewatch(read.config);
    else if (this.#watcher && this.#current) this.#rewatch(this.#current.config, read.pluginFiles);
    let outcome: ReloadOutcome;
    try {
      if (!read.config) throw configInvalid(read.errors);
      const config = read.config;
      const next = await this.#prepare(config);
      try {
        // Plugins that did not even compile are left out, so the workers still start the others:
        // every plugin problem of the new configuration is reported at once.
        await this.#pool.prepare(next.payload);
      } catch (e) {
        throw pluginsFailedInOrder([...next.errors, ...(e instanceof WasmgateError && Array.isArray(e.cause) ? (e.cause as WasmgateError[]) : [e as WasmgateError])]);
      }
      if (next.errors.length > 0) {
        this.#pool.discard(next.payload.id);
        throw pluginsFailedInOrder(next.errors);
      }
      this.#nextGeneration++;
      if (this.#closing) return { ...this.lastReload!, skipped: 'shutting down' };
      await this.#pool.commit(next.payload);
      this.#current = next.info;
      this.reloadCount++;
      outcome = this.#outcome(true, trigger, started, [], this.#warningsOf(read, next.info));
      this.#logger.log(LogLevel.info, `reload (${trigger}) ok: generation ${next.info.id} serving ${config.routes.length} routes, ${config.plugins.length} plugins on ${this.#pool.count} worker(s) (${outcome.durationMs} ms)`);
      for (const w of outcome.warnings) this.#logger.log(LogLevel.warn, `reload: ${w.location ? `${w.location}  ` : ''}${w.code}  ${w.message}`);
      this.#warnListenerChanges(config);
    } catch (e) {
      this.reloadFailures++;
      outcome = this.#outcome(false, trigger, started, problemsOf(e), read.warnings.map(toProblem));
      this.#logger.log(LogLevel.error, `reload (${trigger}) failed; generation ${this.#current.id} keeps serving: ${outcome.errors.length} error(s)`);
      for (const p of outcome.errors) {
        this.#logger.log(LogLevel.error, `reload: ${p.location ? `${p.location}  ` : ''}${p.code}  ${p.message}`, {
          ...(p.hint ? { hint: p.hint } : {}), ...(p.details ? { details: p.details.slice(-8) } : {}),
        });
      }
    }
    this.lastReload = outcome;
    return outcome;
  }

  #outcome(ok: boolean, trigger: string, started: number, errors: ReloadProblem[], warnings: ReloadProblem[]): ReloadOutcome {
    return { ok, at: new Date().toISOString(), trigger, generation: this.#current?.id ?? 1, durationMs: Date.now() - started, errors, warnings };
  }

  #warningsOf(read: ReadConfig, gen: GenerationInfo): ReloadProblem[] {
    return [...read.warnings.map(toProblem), ...[...gen.skipped.values()].map(toProblem)];
  }

  /** Listeners are bound once; a reload that moves them is served on the old addresses (documented). */
  #warnListenerChanges(config: Config): void {
    const was = this.#first.gateway;
    const now = config.gateway;
    for (const [what, a, b] of [['listen', was.listen, now.listen], ['admin', was.admin, now.admin]] as const) {
      if (a.host !== b.host || a.port !== b.port) {
        this.#logger.log(LogLevel.warn, `reload: Gateway ${what} changed to ${formatHostPort(b)}, but listeners are not moved by a reload; still on ${formatHostPort(a)} until restart`);
      }
    }
    const tlsText = (h: HostPort | undefined) => (h ? formatHostPort(h) : 'none');
    if (tlsText(was.listenTls) !== tlsText(now.listenTls)) {
      this.#logger.log(LogLevel.warn, `reload: Gateway listenTls changed to ${tlsText(now.listenTls)}, but listeners are not moved by a reload; still ${tlsText(was.listenTls)} until restart (certificates do reload)`);
    }
    if ((was.workers ?? 0) !== (now.workers ?? 0)) {
      this.#logger.log(LogLevel.warn, `reload: Gateway workers changed, but the number of worker threads is fixed at start; still ${this.#pool.count} until restart`);
    }
  }

  /** Watches the config files, the folders named by --config, and every file:// plugin. */
  #rewatch(config: Config, extraPlugins: readonly string[] = []): void {
    const paths = this.#opts.configPaths.map((p) => resolve(p));
    const dirs = paths.filter(isDirectory);
    const plugins = (c: Config) => c.plugins.flatMap((p) => (p.scheme === 'file' && p.resolvedPath ? [p.resolvedPath] : []));
    const files = [
      ...paths.filter((p) => !dirs.includes(p)),
      ...config.sources.filter((f) => !dirs.includes(dirname(f))),
      // The serving generation's plugins too: a failed attempt must not stop the watch on them.
      ...plugins(config), ...(this.#current ? plugins(this.#current.config) : []), ...extraPlugins,
      ...(this.#current ? [...this.#current.plugins.values()].flatMap((p) => (p.localPath ? [p.localPath] : [])) : []),
    ];
    this.#watcher?.set({ files, configDirs: dirs });
  }

  /**
   * Graceful stop: no new connections; in-flight exchanges get up to the Gateway's drainTimeoutMs
   * (or `drainMs`) to finish; then workers end and the admin listener closes.
   */
  async close(drainMs?: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#watcher?.close();
    await Promise.allSettled([this.#running, this.#queued]);
    await this.#pool?.close(drainMs ?? this.#current?.config.gateway.drainTimeoutMs ?? 10_000);
    await close(this.#admin);
  }
}

function configInvalid(errors: readonly WasmgateError[]): WasmgateError {
  return new WasmgateError('WG_CONFIG_INVALID', `the configuration has ${errors.length} error(s)`, {
    details: errors.map((e) => `${e.formatLocation()}  ${e.code}  ${e.message}${e.hint ? `\n    hint: ${e.hint}` : ''}`),
    exit: 2,
    cause: errors,
  });
}

/** One error for every plugin problem, in manifest order (each is located at its WasmPlugin). */
function pluginsFailedInOrder(unordered: readonly WasmgateError[]): WasmgateError {
  const at = (e: WasmgateError) => `${e.location?.file ?? '\uffff'}\0${String(e.location?.line ?? 0).padStart(9, '0')}`;
  return pluginsFailed([...unordered].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0)));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  server.closeIdleConnections();
  return new Promise((resolve) => {
    server.close(() => resolve());
    setTimeout(() => { server.closeAllConnections(); }, 2000).unref();
  });
}
