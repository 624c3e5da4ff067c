/**
 * Integration-test helpers: manifests written into a temp folder, a real Gateway on 127.0.0.1
 * port 0 (data plane and admin), real node:http upstreams that record what reached them, a small
 * HTTP client, and a bounded poll. Everything started here is closed by the `Cleanup` it was given.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogLevel } from '@wasmgate/host';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { createEchoBackend } from '../../src/services/echo-backend.js';

/** The repository root (tests run from packages/gateway/dist/test/…; fixtures stay in the source tree). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Absolute path of a file under fixtures/. */
export const fixture = (rel: string): string => join(REPO_ROOT, 'fixtures', rel);

export const KITCHEN_SINK = fixture('go/kitchen-sink/plugin.wasm');
export const HEADERS_BENCH = fixture('go/headers-bench/plugin.wasm');

/** Something that runs teardown functions: a TestContext (`t`), or a `Cleanup` for suite-wide resources. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

/** Collects teardowns for `before`/`after` pairs: `const bag = new Cleanup(); after(() => bag.run());`. */
export class Cleanup implements AfterHook {
  #fns: (() => unknown)[] = [];
  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.#fns.splice(0).reverse()) await fn();
  }
}

// ---- manifests -------------------------------------------------------------------------------------

export type Manifest = Record<string, unknown>;

/** A wasmgate Service in namespace default. */
export function service(name: string, endpoints: string[], spec: Record<string, unknown> = {}): Manifest {
  return { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { endpoints, ...spec } };
}

/** An Ingress to `svc` port 80: a default backend, or one rule for `host`/`path` when given. */
export function ingress(name: string, svc: string, rule: { host?: string; path?: string } = {}): Manifest {
  const backend = { service: { name: svc, port: { number: 80 } } };
  const spec = rule.host === undefined && rule.path === undefined
    ? { defaultBackend: backend }
    : { rules: [{ ...(rule.host ? { host: rule.host } : {}), http: { paths: [{ path: rule.path ?? '/', pathType: 'Prefix', backend }] } }] };
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default' }, spec };
}

/** A Higress WasmPlugin loading `wasm` (absolute path) in namespace default. */
export function wasmPlugin(name: string, wasm: string, spec: Record<string, unknown> = {}): Manifest {
  return { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name, namespace: 'default' }, spec: { url: `file://${wasm}`, ...spec } };
}

/** The wasmgate Gateway manifest (listen/admin are overridden to port 0 by startGateway). */
export function gatewaySpec(spec: Record<string, unknown>): Manifest {
  return { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Gateway', metadata: { name: 'gateway', namespace: 'default' }, spec };
}

/** A temp folder holding one file per manifest (JSON is YAML), removed by `hook`. */
export function writeConfig(hook: AfterHook, docs: readonly Manifest[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-it-'));
  hook.after(() => rmSync(dir, { recursive: true, force: true }));
  docs.forEach((d, i) => writeFileSync(join(dir, `${String(i).padStart(2, '0')}.yaml`), JSON.stringify(d, null, 2)));
  return dir;
}

// ---- gateway ---------------------------------------------------------------------------------------

export interface TestGateway {
  readonly gateway: Gateway;
  readonly port: number;
  readonly adminPort: number;
  /** Gateway log lines (plugin logs included), at every level. */
  readonly logs: string[];
  /** Parsed access-log entries. */
  readonly access: Record<string, unknown>[];
  /** GET on the admin listener. */
  admin(path: string): Promise<Reply>;
}

/**
 * Starts a Gateway from manifests (written to a temp folder) or from existing config paths. One
 * data-plane worker unless `workers` says otherwise, so per-VM state (counters, ticks) is predictable;
 * `echo` also starts the built-in echo backend that `spec.echo: true` Services name.
 */
export async function startGateway(hook: AfterHook, config: readonly Manifest[] | { paths: string[] }, opts: { workers?: number; echo?: boolean } = {}): Promise<TestGateway> {
  const paths = 'paths' in config ? config.paths : [writeConfig(hook, config)];
  const logs: string[] = [];
  const access: Record<string, unknown>[] = [];
  // `echo`: a built-in echo backend for Services with `spec.echo: true` (as serve/dev/run start one).
  let echoBackend: string | undefined;
  if (opts.echo) {
    const echo = await createEchoBackend();
    hook.after(() => echo.close());
    echoBackend = `127.0.0.1:${echo.port}`;
  }
  const gateway = await Gateway.start({
    configPaths: paths,
    overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: opts.workers ?? 1, ...(echoBackend ? { echoBackend } : {}) },
    logger: createLogger((l) => logs.push(l), LogLevel.trace),
    accessLog: (l) => access.push(JSON.parse(l) as Record<string, unknown>),
    watch: false,
  });
  hook.after(() => gateway.close());
  const adminPort = gateway.adminAddress.port;
  return { gateway, port: gateway.address.port, adminPort, logs, access, admin: (path) => send(adminPort, { path }) };
}

// ---- upstreams -------------------------------------------------------------------------------------

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Raw header pairs (names as sent, repeats kept). */
  readonly rawHeaders: string[];
  readonly body: Buffer;
  readonly trailers: NodeJS.Dict<string>;
}

export interface Upstream {
  readonly port: number;
  readonly server: http.Server;
  /** Every request the upstream answered, in arrival order. */
  readonly requests: SeenRequest[];
  /** Stops listening (connections dropped) before the test ends, e.g. to make it unreachable. */
  close(): Promise<void>;
}

/** What an upstream does with a complete request; the default answers 200 with `upstream ok`. */
export type UpstreamHandler = (seen: SeenRequest, res: http.ServerResponse) => void;

/** A real node:http upstream on 127.0.0.1:0 that reads each request body whole, records it and answers. */
export async function startUpstream(hook: AfterHook, handler?: UpstreamHandler): Promise<Upstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), trailers: req.trailers };
      requests.push(seen);
      if (handler) handler(seen, res);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok');
    });
  });
  return listenServer(hook, server, requests);
}

/** Listens on 127.0.0.1:0 and registers the close. */
export async function listenServer(hook: AfterHook, server: http.Server, requests: SeenRequest[] = []): Promise<Upstream> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  }));
  hook.after(close);
  return { port: (server.address() as AddressInfo).port, server, requests, close };
}

// ---- client ----------------------------------------------------------------------------------------

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  /** Object headers, or raw `[name, value, …]` (then node:http adds no Host header of its own). */
  readonly headers?: http.OutgoingHttpHeaders | string[];
  readonly body?: string | Uint8Array;
  /** Default: a fresh connection per request. */
  readonly agent?: http.Agent | false;
  /** Aborts the request after this long (default 10 s), so a hang fails the test instead of stalling it. */
  readonly timeoutMs?: number;
}

/** One HTTP/1.1 request to 127.0.0.1:port; the whole body as UTF-8 text. */
export function send(port: number, opts: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {}, agent: opts.agent ?? false,
      timeout: opts.timeoutMs ?? 10_000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${opts.path ?? '/'} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Calls `probe` until it returns a value other than undefined, at most `timeoutMs`; then throws. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Log lines containing `needle`. */
export function linesWith(logs: readonly string[], needle: string): string[] {
  return logs.filter((l) => l.includes(needle));
}
