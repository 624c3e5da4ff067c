/**
 * `wasmgate serve --config <file|dir> [--config …] [--listen HOST:PORT] [--admin HOST:PORT]
 *                [--access-log stdout|FILE] [--no-watch]`
 */
import { appendFileSync } from 'node:fs';
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
        listen: { type: 'string' }, admin: { type: 'string' }, 'access-log': { type: 'string' },
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
  const logger = createLogger((l) => io.err(l), Math.max(0, levels.indexOf(values['log-level'] ?? 'info')) as LogLevel);
  const accessPath = values['access-log'];
  const accessLog = accessPath === undefined ? undefined : accessPath === 'stdout' ? (l: string) => io.out(l) : (l: string) => appendFileSync(resolve(io.cwd, accessPath), `${l}\n`);
  const configPaths = values.config.map((c) => resolve(io.cwd, c));
  const overrides = { ...(values.listen ? { listen: values.listen } : {}), ...(values.admin ? { admin: values.admin } : {}) };
  // A broken config is refused with exactly the report `wasmgate validate` prints (docs/config.md).
  const checked = loadConfig(configPaths, { ...overrides, cwd: io.cwd });
  if (checked.errors.length > 0) {
    for (const line of formatReport(checked.errors, checked.warnings, { files: checked.sources.length, cwd: io.cwd }).split('\n')) io.err(line);
    return 2;
  }
  try {
    const gw = await Gateway.start({
      configPaths, overrides,
      logger, watch: !values['no-watch'], ...(accessLog ? { accessLog } : {}),
    });
    const a = gw.address;
    const admin = gw.adminAddress;
    const gen = gw.generation;
    io.err(`wasmgate serving on http://${a.address}:${a.port} (admin http://${admin.address}:${admin.port}): ${gen.config.routes.length} routes, ${gen.plugins.size} plugins`);
    await io.stopSignal;
    io.err('wasmgate: shutting down');
    await gw.close();
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};
