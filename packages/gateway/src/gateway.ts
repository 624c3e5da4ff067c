/**
 * The gateway: a data-plane HTTP listener and an admin listener over the current Generation.
 * Reloads (file changes, POST /reload) validate the new config completely and start every plugin
 * before swapping; anything that fails leaves the previous generation serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WasmgateError } from '@wasmgate/host';
import { loadConfig } from './config/load-config.js';
import type { Config, ConfigOverrides } from './config/types.js';
import { Generation } from './generation.js';
import type { Logger } from './logger.js';
import { handleAdmin } from './admin/admin.js';
import { createNodePorts, type NodePorts } from './ports/node-ports.js';
import { handleExchange } from './proxy/exchange.js';
import './proxy/errors.js';

export interface GatewayOptions {
  /** Config files or folders (what `--config` named), re-read on reload. */
  readonly configPaths: readonly string[];
  readonly overrides?: ConfigOverrides;
  readonly logger: Logger;
  /** Access-log sink (JSON lines); undefined = none. */
  readonly accessLog?: (line: string) => void;
  /** Watch config files and file:// plugins for changes (default true). */
  readonly watch?: boolean;
  readonly cacheDir?: string;
}

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly at: string;
  readonly trigger: string;
  readonly errors: readonly { code: string; message: string; location?: string; hint?: string }[];
}

export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #logger: Logger;
  #ports!: NodePorts;
  #current!: Generation;
  #server: Server | undefined;
  #admin: Server | undefined;
  #watchers: FSWatcher[] = [];
  #reloading: Promise<ReloadOutcome> | undefined;
  #debounce: NodeJS.Timeout | undefined;
  lastReload: ReloadOutcome | undefined;
  reloadCount = 0;

  private constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.#logger = opts.logger;
  }

  /** Loads the config and every plugin; throws a WasmgateError (with all config errors in details) on failure. */
  static async start(opts: GatewayOptions): Promise<Gateway> {
    const gw = new Gateway(opts);
    const config = gw.#loadConfig();
    gw.#ports = createNodePorts(config, opts.logger);
    gw.#current = await Generation.load(config, gw.#ports, opts.logger, gw.#fetchOptions(config));
    gw.lastReload = { ok: true, at: new Date().toISOString(), trigger: 'start', errors: [] };
    await gw.#listen();
    if (opts.watch !== false) gw.#watch();
    return gw;
  }

  #loadConfig(): Config {
    const { config, errors } = loadConfig(this.#opts.configPaths, this.#opts.overrides ?? {});
    if (!config || errors.length > 0) {
      throw new WasmgateError('WG_CONFIG_INVALID', `the configuration has ${errors.length} error(s)`, {
        details: errors.map((e) => `${e.formatLocation()}  ${e.code}  ${e.message}${e.hint ? `\n    hint: ${e.hint}` : ''}`),
        exit: 2,
        cause: errors,
      });
    }
    return config;
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
      const gen = this.#current;
      gen.enter();
      handleExchange(req, res, {
        config: gen.config, agent: gen.agent, chainFor: (r, h) => gen.chainFor(r, h), done: () => gen.leave(),
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

  get generation(): Generation {
    return this.#current;
  }

  get ports(): NodePorts {
    return this.#ports;
  }

  /** Validates and loads the new config and plugins, then swaps; the old generation drains. */
  reload(trigger = 'manual'): Promise<ReloadOutcome> {
    this.#reloading ??= this.#doReload(trigger).finally(() => (this.#reloading = undefined));
    return this.#reloading;
  }

  async #doReload(trigger: string): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      const config = this.#loadConfig();
      const next = await Generation.load(config, this.#ports, this.#logger, this.#fetchOptions(config));
      const old = this.#current;
      this.#ports.setConfig(config);
      this.#current = next;
      this.reloadCount++;
      void old.release();
      outcome = { ok: true, at: new Date().toISOString(), trigger, errors: [] };
      this.#logger.log(LogLevel.info, `reloaded (${trigger}): ${config.routes.length} routes, ${config.plugins.length} plugins`);
      this.#rewatch();
    } catch (e) {
      const err = e instanceof WasmgateError ? e : new WasmgateError('WG_PLUGIN_START_FAILED', String(e));
      const list = Array.isArray(err.cause) ? (err.cause as WasmgateError[]) : [err];
      outcome = {
        ok: false, at: new Date().toISOString(), trigger,
        errors: list.map((x) => ({ code: x.code, message: x.message, ...(x.location ? { location: x.formatLocation() } : {}), ...(x.hint ? { hint: x.hint } : {}) })),
      };
      this.#logger.log(LogLevel.error, `reload (${trigger}) failed; still serving the previous configuration: ${err.message}`, { code: err.code, details: err.details });
    }
    this.lastReload = outcome;
    return outcome;
  }

  #watch(): void {
    const files = new Set<string>([...this.#current.config.sources, ...[...this.#current.plugins.values()].flatMap((p) => (p.localPath ? [p.localPath] : []))]);
    for (const f of files) {
      try {
        const w = watch(f, () => {
          clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => void this.reload(`file changed: ${f}`), 150);
        });
        w.unref();
        this.#watchers.push(w);
      } catch {
        this.#logger.log(LogLevel.warn, `cannot watch ${f}; use POST /reload after changing it`);
      }
    }
  }

  #rewatch(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    if (this.#opts.watch !== false) this.#watch();
  }

  async close(): Promise<void> {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
    await Promise.all([close(this.#server), close(this.#admin)]);
    await this.#current.release();
    this.#ports.close();
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeIdleConnections();
  return new Promise((resolve) => {
    server.close(() => resolve());
    setTimeout(() => { server.closeAllConnections(); }, 2000).unref();
  });
}
