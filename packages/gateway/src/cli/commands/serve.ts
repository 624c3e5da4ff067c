/**
 * `wasmgate serve --config <file|dir> [--config …] [options]`: options and usage are in
 * `../specs.ts` (SERVE). A broken config is refused with the report `validate` prints.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { LogLevel } from '@wasmgate/host';
import { loadConfig } from '../../config/index.js';
import type { ConfigOverrides } from '../../config/types.js';
import { Gateway } from '../../gateway.js';
import { createLogger } from '../../logger.js';
import { createEchoBackend } from '../../services/echo-backend.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { SERVE } from '../specs.js';
import { formatReport } from './validate.js';
import { breakOnMisses, gatewayInspect, inspectNotice, parseBreakOn, parseInspect } from '../inspect-flags.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

interface ServeFlags {
  readonly config: string[];
  readonly listen?: string;
  readonly listenTls?: string;
  readonly admin?: string;
  readonly workers?: number;
  readonly accessLog?: string;
  readonly logLevel?: string;
  readonly noWatch: boolean;
  readonly inspect?: { host: string; port: number };
  readonly breakOn: { plugin: string; export: string }[];
}

/** The options, checked; a WG_CLI_USAGE error otherwise. */
function flags(values: Record<string, unknown>): ServeFlags {
  const v = values as { config?: string[]; listen?: string; 'listen-tls'?: string; admin?: string; workers?: string; 'access-log'?: string; 'log-level'?: string; 'no-watch'?: boolean };
  if (!v.config?.length) throw usageError(SERVE, 'serve needs --config <file|dir> (try "wasmgate serve --config examples/mock-response")');
  if (v['log-level'] !== undefined && !LEVELS.includes(v['log-level'])) {
    throw usageError(SERVE, `--log-level must be one of ${LEVELS.join(', ')}, not "${v['log-level']}"`);
  }
  const workers = v.workers === undefined ? undefined : Number(v.workers);
  if (workers !== undefined && (!/^\d+$/.test(v.workers!) || workers < 1 || workers > 256)) {
    throw usageError(SERVE, `--workers must be a whole number from 1 to 256, not "${v.workers}" (leave it out to run one worker per CPU)`);
  }
  const inspect = parseInspect(SERVE, values.inspect);
  const breakOn = parseBreakOn(SERVE, values['break-on'], inspect !== undefined);
  return {
    config: v.config, noWatch: v['no-watch'] === true, breakOn, ...(inspect ? { inspect } : {}),
    ...(v.listen !== undefined ? { listen: v.listen } : {}), ...(v['listen-tls'] !== undefined ? { listenTls: v['listen-tls'] } : {}), ...(v.admin !== undefined ? { admin: v.admin } : {}),
    ...(workers !== undefined ? { workers } : {}), ...(v['access-log'] !== undefined ? { accessLog: v['access-log'] } : {}),
    ...(v['log-level'] !== undefined ? { logLevel: v['log-level'] } : {}),
  };
}

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  let values: ServeFlags;
  try {
    const parsed = parseCommand(SERVE, args);
    if (parsed.help) {
      io.out(usageText(SERVE));
      return 0;
    }
    values = flags(parsed.values);
  } catch (e) {
    return renderError(io, e);
  }
  const workers = values.workers;
  const configPaths = values.config.map((c) => resolve(io.cwd, c));
  // The built-in echo backend (Services with `echo: true`, docs/config.md): tiny, so always there.
  const echo = await createEchoBackend();
  const overrides = {
    ...(values.listen ? { listen: values.listen } : {}), ...(values.listenTls ? { listenTls: values.listenTls } : {}), ...(values.admin ? { admin: values.admin } : {}),
    ...(workers !== undefined ? { workers } : {}), echoBackend: `${echo.host}:${echo.port}`,
  };
  try {
    return await serveWith(values, configPaths, overrides, io);
  } finally {
    await echo.close();
  }
};

async function serveWith(values: ServeFlags, configPaths: string[], overrides: ConfigOverrides, io: CliIo): Promise<number> {
  // A broken config is refused with exactly the report `wasmgate validate` prints (docs/config.md).
  const checked = loadConfig(configPaths, { ...overrides, cwd: io.cwd });
  if (checked.errors.length > 0) {
    for (const line of formatReport(checked.errors, checked.warnings, { files: checked.sources.length, cwd: io.cwd }).split('\n')) io.err(line);
    return 2;
  }
  // Flags win over the Gateway manifest's spec.logLevel / spec.accessLog.
  const level = values.logLevel ?? checked.config?.gateway.logLevel ?? 'info';
  const logger = createLogger((l) => io.err(l), LEVELS.indexOf(level) as LogLevel);
  const accessLog = accessLogWriter(values.accessLog ?? checked.config?.gateway.accessLog, io);
  if (values.inspect) io.err(inspectNotice(values.breakOn));
  try {
    const gw = await Gateway.start({
      configPaths, overrides,
      logger, watch: !values.noWatch, ...(accessLog ? { accessLog: accessLog.write } : {}),
      ...(values.inspect ? { inspect: gatewayInspect(io, values.inspect, values.breakOn) } : {}),
    });
    const a = gw.address;
    const admin = gw.adminAddress;
    const gen = gw.generation;
    for (const w of breakOnMisses(values.breakOn, [...gen.plugins.keys()])) io.err(w);
    io.err(`wasmgate serving on http://${a.address}:${a.port} (admin http://${admin.address}:${admin.port}): ${gen.config.routes.length} routes, ${gen.plugins.size} plugins, ${gw.workers} worker(s)`);
    await io.stopSignal;
    io.err(`wasmgate: shutting down (draining in-flight requests for up to ${gen.config.gateway.drainTimeoutMs} ms)`);
    await gw.close();
    await accessLog?.close();
    return 0;
  } catch (e) {
    await accessLog?.close();
    return renderError(io, e);
  }
}

interface AccessLogWriter {
  readonly write: (line: string) => void;
  /** Flushes what was written (the file is closed). */
  close(): Promise<void>;
}

/**
 * `stdout`, or a file appended to through a stream (never a synchronous write per request). The file
 * is reopened on SIGUSR1, as logrotate expects: lines written before the signal still go to the
 * file they were queued for (renamed or not), every later line to a file opened at the path anew.
 */
function accessLogWriter(target: string | undefined, io: CliIo): AccessLogWriter | undefined {
  if (target === undefined) return undefined;
  if (target === 'stdout') return { write: (l) => io.out(l), close: () => Promise.resolve() };
  const path = resolve(io.cwd, target);
  let failed = false;
  const open = (): WriteStream => {
    const s = createWriteStream(path, { flags: 'a' });
    // An unwritable file must not take the gateway down: say so once (per reopen) and drop lines.
    s.on('error', (e) => {
      if (s !== out) return; // the file before a reopen: its last lines were flushed or are lost with it
      if (!failed) io.err(`wasmgate: access log ${path}: ${e.message} (lines are dropped until it is reopened with SIGUSR1)`);
      failed = true;
    });
    return s;
  };
  let out = open();
  const finish = (s: WriteStream) => new Promise<void>((r) => {
    if (s.destroyed || s.closed) return r();
    s.end(() => r());
    s.once('error', () => r());
  });
  io.onReopenLogs?.(() => {
    const old = out;
    failed = false;
    out = open();
    void finish(old);
  });
  return {
    write: (l) => void (failed ? undefined : out.write(`${l}\n`)),
    close: () => finish(out),
  };
}
