/**
 * `wasmgate serve --config <file|dir> [--config …] [--listen HOST:PORT] [--admin HOST:PORT]
 *                [--workers N] [--access-log stdout|FILE] [--no-watch] [--log-level LEVEL]`
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LogLevel } from '@wasmgate/host';
import { loadConfig } from '../../config/index.js';
import { Gateway } from '../../gateway.js';
import { createLogger } from '../../logger.js';
import type { CliIo, CommandRunner } from '../io.js';
import { renderError } from '../render-error.js';
import { formatReport } from './validate.js';

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  let values;
  try {
    ({ values } = parseArgs({
      args, allowPositionals: false,
      options: {
        config: { type: 'string', multiple: true, short: 'c' },
        listen: { type: 'string' }, admin: { type: 'string' }, 'access-log': { type: 'string' }, workers: { type: 'string' },
        'no-watch': { type: 'boolean' }, 'log-level': { type: 'string' },
      },
    }));
  } catch (e) {
    io.err(`error WG_CLI_USAGE: ${(e as Error).message}\nusage: wasmgate serve --config <file|dir> [--listen HOST:PORT] [--admin HOST:PORT]`);
    return 2;
  }
  if (!values.config?.length) {
    io.err('error WG_CLI_USAGE: serve needs --config <file|dir>\nhint: try "wasmgate serve --config examples/mock-response"');
    return 2;
  }
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
  if (values['log-level'] !== undefined && !levels.includes(values['log-level'])) {
    io.err(`error WG_CLI_USAGE: --log-level must be one of ${levels.join(', ')}`);
    return 2;
  }
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256)) {
    io.err(`error WG_CLI_USAGE: --workers must be a whole number from 1 to 256, not "${values.workers}"\nhint: leave it out to run one worker per CPU`);
    return 2;
  }
  const configPaths = values.config.map((c) => resolve(io.cwd, c));
  const overrides = {
    ...(values.listen ? { listen: values.listen } : {}), ...(values.admin ? { admin: values.admin } : {}),
    ...(workers !== undefined ? { workers } : {}),
  };
  // A broken config is refused with exactly the report `wasmgate validate` prints (docs/config.md).
  const checked = loadConfig(configPaths, { ...overrides, cwd: io.cwd });
  if (checked.errors.length > 0) {
    for (const line of formatReport(checked.errors, checked.warnings, { files: checked.sources.length, cwd: io.cwd }).split('\n')) io.err(line);
    return 2;
  }
  // Flags win over the Gateway manifest's spec.logLevel / spec.accessLog.
  const level = values['log-level'] ?? checked.config?.gateway.logLevel ?? 'info';
  const logger = createLogger((l) => io.err(l), levels.indexOf(level) as LogLevel);
  const accessLog = accessLogWriter(values['access-log'] ?? checked.config?.gateway.accessLog, io);
  try {
    const gw = await Gateway.start({
      configPaths, overrides,
      logger, watch: !values['no-watch'], ...(accessLog ? { accessLog } : {}),
    });
    const a = gw.address;
    const admin = gw.adminAddress;
    const gen = gw.generation;
    io.err(`wasmgate serving on http://${a.address}:${a.port} (admin http://${admin.address}:${admin.port}): ${gen.config.routes.length} routes, ${gen.plugins.size} plugins, ${gw.workers} worker(s)`);
    await io.stopSignal;
    io.err(`wasmgate: shutting down (draining in-flight requests for up to ${gen.config.gateway.drainTimeoutMs} ms)`);
    await gw.close();
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};

/** `stdout`, or a file appended to through a stream (never a synchronous write per request). */
function accessLogWriter(target: string | undefined, io: CliIo): ((line: string) => void) | undefined {
  if (target === undefined) return undefined;
  if (target === 'stdout') return (l) => io.out(l);
  const out = createWriteStream(resolve(io.cwd, target), { flags: 'a' });
  return (l) => void out.write(`${l}\n`);
}
