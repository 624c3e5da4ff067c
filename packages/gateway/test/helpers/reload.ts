/**
 * Hot-reload test bed: a temp folder holding `gateway.yaml` (every manifest in one multi-document
 * file) and `plugin.wasm` (a copy of a fixture the test can swap), a Gateway on 127.0.0.1:0 with
 * the file watcher on, and ways to change both files the way editors and build tools do. Built on
 * helpers/gateway.ts (upstreams, manifests, client, poll).
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogLevel } from '@wasmgate/host';
import { Gateway, type ReloadOutcome } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { fixture, poll, send, type AfterHook, type Manifest, type Reply } from './gateway.js';

export const MOCK_RESPONSE = fixture('go/mock-response/plugin.wasm');
export const KITCHEN_SINK = fixture('go/kitchen-sink/plugin.wasm');

/** How a file is changed: overwritten where it is, or written aside and renamed over it (vim, IDEs, `go build`). */
export type WriteStyle = 'in-place' | 'rename';

export interface ReloadBed {
  readonly dir: string;
  readonly configFile: string;
  readonly pluginFile: string;
  readonly gateway: Gateway;
  readonly port: number;
  readonly adminPort: number;
  /** Gateway log lines at debug and above (plugin logs included). */
  readonly logs: string[];
  /** Replaces gateway.yaml with these manifests. */
  writeConfig(docs: readonly Manifest[], style?: WriteStyle): void;
  /** Writes raw text as gateway.yaml (for broken YAML). */
  writeConfigText(text: string, style?: WriteStyle): void;
  /** Replaces plugin.wasm with a copy of `from` (a path) or with these bytes. */
  writePlugin(from: string | Uint8Array, style?: WriteStyle): void;
  /** An admin request; the body parsed as JSON when it is JSON. */
  admin(path: string, method?: string): Promise<AdminReply>;
  /** Resolves with the outcome once the serving generation's id is above `after` (bounded). */
  waitForGeneration(after: number, timeoutMs?: number): Promise<ReloadOutcome>;
  /** Reload attempts so far (successful and failed; skipped ones do not count). */
  attempts(): number;
  /** Resolves with the last outcome once more than `after` attempts have finished (bounded). */
  waitForAttempt(after: number, timeoutMs?: number): Promise<ReloadOutcome>;
}

export interface AdminReply extends Reply {
  /** The parsed JSON body; its shape is what each test asserts. */
  readonly json: any;
}

export interface BedOptions {
  /** The manifests, given the absolute path of the bed's plugin.wasm. */
  readonly docs: (pluginFile: string) => readonly Manifest[];
  /** The fixture copied to plugin.wasm first. */
  readonly plugin: string;
  /** Point --config at the folder (default) or at gateway.yaml. */
  readonly configPath?: 'dir' | 'file';
  readonly watch?: boolean;
  /** Take listen/admin from the manifests instead of forcing 127.0.0.1:0 (as --listen/--admin would). */
  readonly listenFromConfig?: boolean;
  /** Data-plane worker threads (default 1). */
  readonly workers?: number;
}

export async function startReloadBed(hook: AfterHook, opts: BedOptions): Promise<ReloadBed> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-reload-'));
  hook.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'gateway.yaml');
  const pluginFile = join(dir, 'plugin.wasm');
  const put = (file: string, data: string | Uint8Array, style: WriteStyle) => {
    if (style === 'in-place') return writeFileSync(file, data);
    writeFileSync(`${file}.tmp`, data);
    renameSync(`${file}.tmp`, file);
  };
  const writeConfigText = (text: string, style: WriteStyle = 'rename') => put(configFile, text, style);
  const writeConfig = (docs: readonly Manifest[], style: WriteStyle = 'rename') => writeConfigText(toYaml(docs), style);
  // A fresh copy (not copyFile): the fixtures are read-only and the copy must stay writable.
  const writePlugin = (from: string | Uint8Array, style: WriteStyle = 'rename') => put(pluginFile, typeof from === 'string' ? readFileSync(from) : from, style);
  writePlugin(opts.plugin);
  writeConfig(opts.docs(pluginFile));
  const logs: string[] = [];
  const gateway = await Gateway.start({
    configPaths: [opts.configPath === 'file' ? configFile : dir],
    overrides: opts.listenFromConfig ? { workers: opts.workers ?? 1 } : { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: opts.workers ?? 1 },
    logger: createLogger((l) => logs.push(l), LogLevel.debug),
    watch: opts.watch ?? true,
  });
  hook.after(() => gateway.close());
  const adminPort = gateway.adminAddress.port;
  const admin = async (path: string, method = 'GET'): Promise<AdminReply> => {
    const r = await send(adminPort, { path, method });
    let json: unknown;
    try {
      json = JSON.parse(r.body);
    } catch {
      json = undefined;
    }
    return { ...r, json };
  };
  const attempts = () => gateway.reloadCount + gateway.reloadFailures;
  return {
    dir, configFile, pluginFile, gateway, port: gateway.address.port, adminPort, logs,
    writeConfig, writeConfigText, writePlugin, admin,
    waitForGeneration: (after, timeoutMs = 10_000) =>
      poll(`a generation after ${after}`, async () => (gateway.generation.id > after && gateway.lastReload?.generation === gateway.generation.id ? gateway.lastReload : undefined), timeoutMs, 10),
    attempts,
    waitForAttempt: (after, timeoutMs = 10_000) =>
      poll(`reload attempt ${after + 1}`, async () => (attempts() > after ? gateway.lastReload : undefined), timeoutMs, 10),
  };
}

/** Manifests as one multi-document YAML file (JSON is YAML). */
export function toYaml(docs: readonly Manifest[]): string {
  return docs.map((d) => JSON.stringify(d, null, 2)).join('\n---\n');
}

/** A bounded wait for `cond` on in-process state (no fixed sleeps). */
export function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<true> {
  return poll(what, async () => (cond() ? true : undefined), timeoutMs, 5);
}
