/**
 * The gateway: a data-plane HTTP listener and an admin listener over the current Generation.
 * Reloads (file changes, POST /reload) validate the new config completely and start every plugin
 * before swapping; anything that fails leaves the previous generation serving. Reloads never run
 * concurrently: one asked for while another runs is queued (and merged with any other waiting one).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { LogLevel, WasmgateError } from '@wasmgate/host';
import { loadConfigFromSources, readConfigSources } from './config/index.js';
import { formatHostPort } from './config/address.js';
import type { Config, ConfigOverrides } from './config/types.js';
import { Generation } from './generation.js';
import type { Logger } from './logger.js';
import { handleAdmin } from './admin/admin.js';
import { createNodePorts, type NodePorts } from './ports/node-ports.js';
import { handleExchange } from './proxy/exchange.js';
import { fingerprint, problemsOf, toProblem, type ReloadOutcome, type ReloadProblem } from './reload-outcome.js';
import { FileWatcher } from './watch-files.js';
import './proxy/errors.js';

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
}

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
}

/** A generation still finishing exchanges after a reload swapped it out. */
export interface DrainingGeneration {
  readonly generation: number;
  readonly inFlight: number;
  readonly sinceMs: number;
}

const DRAIN_WARN_MS = 30_000;

export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #logger: Logger;
  #ports!: NodePorts;
  #current!: Generation;
  #first!: Config;
  #server: Server | undefined;
  #admin: Server | undefined;
  #watcher: FileWatcher | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: Promise<ReloadOutcome> | undefined;
  #queuedTriggers: string[] = [];
  #queuedForce = false;
  #lastFingerprint = '';
  #draining = new Set<Generation>();
  #closing = false;
  lastReload: ReloadOutcome | undefined;
  /** Successful reloads (swaps) since start. */
  reloadCount = 0;
  /** Reload attempts that failed and left the previous generation serving. */
  reloadFailures = 0;

  private constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.#logger = opts.logger;
  }

  /** Loads the config and every plugin; throws a WasmgateError (with all config errors in details) on failure. */
  static async start(opts: GatewayOptions): Promise<Gateway> {
    const gw = new Gateway(opts);
    const started = Date.now();
    const read = gw.#readConfig();
    if (!read.config) throw configInvalid(read.errors);
    const config = read.config;
    gw.#first = config;
    gw.#lastFingerprint = read.fingerprint;
    gw.#ports = createNodePorts(config, opts.logger);
    try {
      gw.#current = await Generation.load(config, gw.#ports, opts.logger, gw.#fetchOptions(config));
    } catch (e) {
      gw.#ports.close();
      throw e;
    }
    gw.lastReload = gw.#outcome(true, 'start', started, [], gw.#warningsOf(read, gw.#current));
    try {
      await gw.#listen();
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

  /** Reads and validates the config; the digest is of exactly the texts that were validated. */
  #readConfig(): ReadConfig {
    const read = readConfigSources(this.#opts.configPaths);
    const result = loadConfigFromSources(read.sources, this.#opts.overrides ?? {});
    const errors = [...read.errors, ...result.errors];
    const config = errors.length === 0 ? result.config : undefined;
    return { ...(config ? { config } : {}), errors, warnings: result.warnings, fingerprint: fingerprint(read.sources, config) };
  }

  #fetchOptions(config: Config) {
    return {
      insecureRegistries: config.gateway.insecureRegistries,
      ...(config.gateway.imagePullSecret ? { pullSecretFile: config.gateway.imagePullSecret } : {}),
      ...(this.#opts.cacheDir ? { cacheDir: this.#opts.cacheDir } : {}),
    };
  }

  async #listen(): Promise<void> {
    const g = this.#current.config.gateway;
    this.#server = createServer({ keepAlive: true, requireHostHeader: false }, (req, res) => {
      // The exchange keeps the generation it started on (config, upstream agent, VMs) to the end.
      const gen = this.#current;
      gen.enter();
      handleExchange(req, res, {
        config: gen.config, upstream: gen.upstream, chainFor: (r, h) => gen.chainFor(r, h), done: () => gen.leave(),
        ...(this.#opts.accessLog ? { accessLog: (e: Record<string, unknown>) => this.#opts.accessLog!(JSON.stringify(e)) } : {}),
      });
    });
    this.#server.keepAliveTimeout = 60_000;
    // Malformed HTTP from one client answers 400 on that connection only.
    this.#server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.#admin = createServer((req, res) => void handleAdmin(req, res, this));
    await listen(this.#server, g.listen.host, g.listen.port);
    await listen(this.#admin, g.admin.host, g.admin.port);
  }

  get address(): AddressInfo {
    return this.#server!.address() as AddressInfo;
  }

  get adminAddress(): AddressInfo {
    return this.#admin!.address() as AddressInfo;
  }

  /** The generation new exchanges start on. */
  get generation(): Generation {
    return this.#current;
  }

  /** Swapped-out generations whose exchanges have not all finished yet. */
  get draining(): DrainingGeneration[] {
    const now = Date.now();
    return [...this.#draining].map((g) => ({ generation: g.id, inFlight: g.inFlight, sinceMs: now - (g.retiredAt ?? now) }));
  }

  /** Folders the file watcher watches (empty with `watch: false`). */
  get watching(): string[] {
    return this.#watcher?.watching ?? [];
  }

  /** True from `close()` on. */
  get closing(): boolean {
    return this.#closing;
  }

  get ports(): NodePorts {
    return this.#ports;
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
    let outcome: ReloadOutcome;
    try {
      if (!read.config) throw configInvalid(read.errors);
      const config = read.config;
      const next = await Generation.load(config, this.#ports, this.#logger, this.#fetchOptions(config));
      if (this.#closing) {
        await next.release();
        return { ...this.lastReload!, skipped: 'shutting down' };
      }
      this.#swap(next);
      outcome = this.#outcome(true, trigger, started, [], this.#warningsOf(read, next));
      this.#logger.log(LogLevel.info, `reload (${trigger}) ok: generation ${next.id} serving ${config.routes.length} routes, ${next.plugins.size} plugins (${outcome.durationMs} ms)`);
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

  /** The atomic part: new exchanges start on `next` from the next tick on; the old one drains. */
  #swap(next: Generation): void {
    const old = this.#current;
    this.#ports.setConfig(next.config);
    this.#current = next;
    this.reloadCount++;
    this.#draining.add(old);
    const slow = setTimeout(() => {
      this.#logger.log(LogLevel.warn, `generation ${old.id} still has ${old.inFlight} exchange(s) in flight ${DRAIN_WARN_MS / 1000} s after the reload; its VMs stay loaded until they finish`);
    }, DRAIN_WARN_MS);
    slow.unref();
    void old.release().then(() => {
      clearTimeout(slow);
      this.#draining.delete(old);
      this.#logger.log(LogLevel.debug, `generation ${old.id} drained and released`);
    });
  }

  #outcome(ok: boolean, trigger: string, started: number, errors: ReloadProblem[], warnings: ReloadProblem[]): ReloadOutcome {
    return { ok, at: new Date().toISOString(), trigger, generation: this.#current.id, durationMs: Date.now() - started, errors, warnings };
  }

  #warningsOf(read: ReadConfig, gen: Generation): ReloadProblem[] {
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
  }

  /** Watches the config files, the folders named by --config, and every file:// plugin. */
  #rewatch(config: Config): void {
    const paths = this.#opts.configPaths.map((p) => resolve(p));
    const dirs = paths.filter(isDirectory);
    const plugins = (c: Config) => c.plugins.flatMap((p) => (p.scheme === 'file' && p.resolvedPath ? [p.resolvedPath] : []));
    const files = [
      ...paths.filter((p) => !dirs.includes(p)),
      ...config.sources.filter((f) => !dirs.includes(dirname(f))),
      // The serving generation's plugins too: a failed attempt must not stop the watch on them.
      ...plugins(config), ...plugins(this.#current.config),
      ...[...this.#current.plugins.values()].flatMap((p) => (p.localPath ? [p.localPath] : [])),
    ];
    this.#watcher?.set({ files, configDirs: dirs });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#watcher?.close();
    await Promise.allSettled([this.#running, this.#queued]);
    await Promise.all([close(this.#server), close(this.#admin)]);
    await this.#current.release();
    this.#ports.close();
  }
}

function configInvalid(errors: readonly WasmgateError[]): WasmgateError {
  return new WasmgateError('WG_CONFIG_INVALID', `the configuration has ${errors.length} error(s)`, {
    details: errors.map((e) => `${e.formatLocation()}  ${e.code}  ${e.message}${e.hint ? `\n    hint: ${e.hint}` : ''}`),
    exit: 2,
    cause: errors,
  });
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new WasmgateError('WG_PROXY_LISTEN', `cannot listen on ${host}:${port}: ${why}`, { cause: e }));
    });
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  server.closeIdleConnections();
  return new Promise((resolve) => {
    server.close(() => resolve());
    setTimeout(() => { server.closeAllConnections(); }, 2000).unref();
  });
}
