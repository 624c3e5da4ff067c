/**
 * `wasmgate dev`'s engine: build, serve, watch the sources, rebuild on save and hot-reload.
 *
 * - Serving is `serve`'s: a {@link Gateway} over the project's gateway.yaml + wasmplugin.yaml (or,
 *   without a gateway.yaml, a generated route to the built-in echo backend, as `run` does), with
 *   its own file watcher on, so edits to the manifests reload as under `serve`.
 * - Sources are watched by one recursive `fs.watch` on the project folder (build/, node_modules/,
 *   target/ and .git/ ignored), debounced: one save is one rebuild. A save during a build queues
 *   exactly one more build.
 * - A successful build is written atomically over build/plugin.wasm, then `reload()` is awaited:
 *   it resolves once every worker serves the new generation (the gateway's watcher, which also
 *   sees the file, then finds nothing new). A failed build or a plugin that fails to load leaves
 *   the last good generation serving.
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Gateway } from '../gateway.js';
import type { Logger } from '../logger.js';
import type { ReloadProblem } from '../reload-outcome.js';
import { createEchoBackend, type EchoBackend } from '../services/echo-backend.js';
import { buildProject, type BuildOutcome, type BuildProjectOptions } from './build.js';
import type { Project } from './project.js';

/** Options of {@link DevSession.start}. */
export interface DevOptions {
  readonly project: Project;
  readonly listen: string;
  readonly admin: string;
  readonly build: Omit<BuildProjectOptions, 'out' | 'signal'>;
  readonly logger: Logger;
  /** Quiet time after the last source event before a rebuild (default 60 ms). */
  readonly debounceMs?: number;
  /** Every rebuild's outcome, in order. */
  readonly onRebuild: (e: RebuildEvent) => void;
}

/** One rebuild, as `wasmgate dev` prints it. */
export interface RebuildEvent {
  /** The source files whose changes started it (relative to the project). */
  readonly files: readonly string[];
  /** `served`: the new build serves; `unchanged`: the module came out identical; `build-failed` / `load-failed`: the last good build keeps serving. */
  readonly result: 'served' | 'unchanged' | 'build-failed' | 'load-failed';
  readonly build: BuildOutcome;
  /** From the end of the build until the new generation served on every worker (served / unchanged). */
  readonly reloadMs?: number;
  /** From the first file event to serving (served), the save → served latency. */
  readonly totalMs: number;
  /** The generation serving afterwards. */
  readonly generation: number;
  /** Why the new build did not load (load-failed). */
  readonly errors?: readonly ReloadProblem[];
}

/** The manifests served: the project's, or generated next to the echo backend. */
function configPaths(p: Project, tmp: string): string[] {
  const gateway = join(p.dir, 'gateway.yaml');
  const plugin = join(p.dir, 'wasmplugin.yaml');
  if (existsSync(gateway)) return existsSync(plugin) ? [gateway, plugin] : [gateway];
  const route = [
    { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' }, spec: { echo: true } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'all', namespace: 'default' }, spec: { defaultBackend: { service: { name: 'echo', port: { number: 80 } } } } },
  ];
  route.forEach((m, i) => writeFileSync(join(tmp, `route-${i}.yaml`), JSON.stringify(m, null, 2)));
  if (existsSync(plugin)) return [join(tmp, 'route-0.yaml'), join(tmp, 'route-1.yaml'), plugin];
  const wasmPlugin = {
    apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'plugin', namespace: 'default' },
    spec: { url: `file://${p.output}` },
  };
  writeFileSync(join(tmp, 'plugin.yaml'), JSON.stringify(wasmPlugin, null, 2));
  return [tmp];
}

/** The `url` wasmplugin.yaml gives (to check it names the build output); undefined when absent. */
export function wasmPluginUrl(file: string): string | undefined {
  try {
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const m = d.toJS() as { kind?: string; spec?: { url?: string } } | null;
      if (m?.kind === 'WasmPlugin') return m.spec?.url;
    }
  } catch {
    // validate reports it when the gateway loads the file
  }
  return undefined;
}

export class DevSession {
  readonly #opts: DevOptions;
  readonly #gw: Gateway;
  readonly #echo: EchoBackend;
  readonly #tmp: string;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #pending = new Set<string>();
  #firstEventAt: number | undefined;
  #building: Promise<void> | undefined;
  #again = false;
  #closed = false;

  private constructor(opts: DevOptions, gw: Gateway, echo: EchoBackend, tmp: string) {
    this.#opts = opts;
    this.#gw = gw;
    this.#echo = echo;
    this.#tmp = tmp;
  }

  /**
   * Builds (a failed first build throws nothing: it is returned, and the caller decides; with an
   * earlier build/plugin.wasm present it may serve that), starts the gateway and the watch.
   */
  static async build(opts: Pick<DevOptions, 'project' | 'build'>): Promise<BuildOutcome> {
    return buildProject(opts.project, opts.build);
  }

  /** Starts serving the current build/plugin.wasm and watching the sources. */
  static async start(opts: DevOptions): Promise<DevSession> {
    const echo = await createEchoBackend();
    const tmp = mkdtempSync(join(tmpdir(), 'wasmgate-dev-'));
    let gw: Gateway;
    try {
      gw = await Gateway.start({
        configPaths: configPaths(opts.project, tmp), logger: opts.logger, watch: true,
        overrides: { listen: opts.listen, admin: opts.admin, workers: 1, echoBackend: `${echo.host}:${echo.port}` },
      });
    } catch (e) {
      await echo.close();
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    const s = new DevSession(opts, gw, echo, tmp);
    s.#watch();
    return s;
  }

  /** The data-plane address. */
  get address() {
    return this.#gw.address;
  }

  get adminAddress() {
    return this.#gw.adminAddress;
  }

  get gateway(): Gateway {
    return this.#gw;
  }

  #watch(): void {
    const p = this.#opts.project;
    this.#watcher = watch(p.dir, { recursive: true }, (_event, name) => {
      if (this.#closed || name === null) return;
      const file = String(name);
      if (!p.sources(file)) return;
      this.#pending.add(file);
      this.#firstEventAt ??= performance.now();
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.#kick(), this.#opts.debounceMs ?? 60);
    });
    this.#watcher.on('error', (e) => this.#opts.logger.log(4, `dev: watching ${p.dir} failed: ${e.message}`));
  }

  /** Starts a rebuild, or marks one to run after the build in progress. */
  #kick(): void {
    if (this.#building) {
      this.#again = true;
      return;
    }
    this.#building = this.#rebuild().finally(() => {
      this.#building = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.#kick();
      }
    });
  }

  async #rebuild(): Promise<void> {
    const files = [...this.#pending].sort();
    this.#pending.clear();
    const started = this.#firstEventAt ?? performance.now();
    this.#firstEventAt = undefined;
    let event: RebuildEvent;
    const before = this.#gw.generation.id;
    try {
      const build = await buildProject(this.#opts.project, this.#opts.build);
      if (this.#closed) return;
      if (!build.ok) {
        event = { files, result: 'build-failed', build, totalMs: Math.round(performance.now() - started), generation: this.#gw.generation.id };
      } else {
        const t = performance.now();
        const outcome = await this.#gw.reload(`rebuild (${files.join(', ')})`, { ifChanged: true });
        const now = performance.now();
        // The gateway's own watcher may have reloaded the new file first: then this reload finds it
        // unchanged, and the generation having moved says the build serves.
        const result = !outcome.ok ? 'load-failed' : this.#gw.generation.id === before ? 'unchanged' : 'served';
        event = {
          files, result, build, reloadMs: Math.round(now - t), totalMs: Math.round(now - started), generation: this.#gw.generation.id,
          ...(outcome.ok ? {} : { errors: outcome.errors }),
        };
      }
    } catch (e) {
      const diagnostics = e instanceof Error ? e.message : String(e);
      event = { files, result: 'build-failed', build: { ok: false, output: this.#opts.project.output, ms: 0, diagnostics, command: '' }, totalMs: Math.round(performance.now() - started), generation: this.#gw.generation.id };
    }
    this.#opts.onRebuild(event);
  }

  /** Stops watching, waits for a build in progress, and closes the gateway and the echo backend. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    await this.#building?.catch(() => undefined);
    await this.#gw.close(1000);
    await this.#echo.close();
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}
