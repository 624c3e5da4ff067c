/**
 * `wasmgate dev [dir] [--listen HOST:PORT] [--admin HOST:PORT] [--abi …] [--debug] [--debounce MS]`
 * (options: `../specs.ts`, DEV): build, serve, rebuild and hot-reload on save (author/dev-session.ts).
 * One line per rebuild: `rebuilt in B ms, serving generation N after R ms (save → served T ms)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LogLevel } from '@wasmgate/host';
import { DevSession, wasmPluginUrl, type RebuildEvent } from '../../author/dev-session.js';
import { detectProject } from '../../author/project.js';
import { reportModule } from '../../author/report.js';
import { createLogger } from '../../logger.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { DEV } from '../specs.js';
import { compileError, parseAbi } from './build.js';

function printRebuild(io: CliIo, e: RebuildEvent): void {
  const what = e.files.length === 1 ? e.files[0] : `${e.files.length} files`;
  if (e.result === 'build-failed') {
    io.err(`dev: ${what} changed: build failed in ${e.build.ms} ms; generation ${e.generation} keeps serving the last good build`);
    for (const l of e.build.diagnostics.split('\n')) if (l.trim()) io.err(`  ${l}`);
    return;
  }
  if (e.result === 'load-failed') {
    io.err(`dev: ${what} changed: rebuilt in ${e.build.ms} ms, but the new build did not load; generation ${e.generation} keeps serving the last good build`);
    for (const p of e.errors ?? []) io.err(`  ${p.code}  ${p.message}${p.details ? `\n    ${p.details.join('\n    ')}` : ''}`);
    return;
  }
  if (e.result === 'unchanged') {
    io.out(`dev: ${what} changed: rebuilt in ${e.build.ms} ms, module unchanged; generation ${e.generation} keeps serving`);
    return;
  }
  io.out(`dev: ${what} changed: rebuilt in ${e.build.ms} ms, serving generation ${e.generation} ${e.reloadMs} ms later (save → served ${e.totalMs} ms)`);
}

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  let session: DevSession | undefined;
  try {
    const parsed = parseCommand(DEV, args);
    if (parsed.help) {
      io.out(usageText(DEV));
      return 0;
    }
    const v = parsed.values as { listen?: string; admin?: string; abi?: string; debug?: boolean; release?: boolean; debounce?: string };
    const abi = parseAbi(DEV, v.abi);
    if (v.debounce !== undefined && (!/^\d+$/.test(v.debounce) || Number(v.debounce) > 10_000)) {
      throw usageError(DEV, `--debounce must be a whole number of milliseconds up to 10000, not "${v.debounce}"`);
    }
    const project = detectProject(parsed.positionals[0] ?? '.', io.cwd);
    const plugin = join(project.dir, 'wasmplugin.yaml');
    const url = existsSync(plugin) ? wasmPluginUrl(plugin) : undefined;
    if (url !== undefined && !/^file:\/\/(\.\/)?build\/plugin\.wasm$/.test(url)) {
      io.err(`dev: warning: wasmplugin.yaml has url ${url}, not file://./build/plugin.wasm: rebuilds will not change what it serves`);
    }
    if (v.debug && v.release) throw usageError(DEV, '--debug and --release contradict each other: choose one');
    // AssemblyScript: the inner loop builds unoptimised (asc -O3 is most of a save → served of ~2 s;
    // without it a rebuild takes a few hundred ms); --release builds as wasmgate build does.
    const unoptimised = v.debug === true || (project.lang === 'as' && v.release !== true);
    const build = { env: io.env, ...(abi ? { abi } : {}), ...(unoptimised ? { debug: true } : {}) };
    const first = await DevSession.build({ project, build });
    const shown = relative(io.cwd, first.output) || first.output;
    if (!first.ok) {
      if (!existsSync(first.output)) throw compileError(project, first);
      io.err(`dev: the build failed; serving the previous ${shown} until a save builds`);
      for (const l of first.diagnostics.split('\n')) if (l.trim()) io.err(`  ${l}`);
    } else {
      const report = await reportModule(new Uint8Array(readFileSync(first.output)), shown);
      io.out(`dev: built ${shown} in ${first.ms} ms (${report.sizeBytes} bytes, abi ${report.abiVersion ?? 'none'}${project.lang === 'as' ? (unoptimised ? ', unoptimised: --release for asc -O3' : ', asc -O3') : ''})`);
      for (const w of report.warnings) io.err(`warning: ${shown} ${w}`);
    }
    const logger = createLogger((l) => io.err(l), LogLevel.info);
    // The gateway logs each reload; dev prints its own line per rebuild instead.
    const quiet = { ...logger, log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
      if (level <= LogLevel.info && message.startsWith('reload (rebuild')) return;
      logger.log(level, message, fields);
    } };
    session = await DevSession.start({
      project, build, logger: quiet, listen: v.listen ?? '127.0.0.1:8080', admin: v.admin ?? '127.0.0.1:0',
      ...(v.debounce !== undefined ? { debounceMs: Number(v.debounce) } : {}),
      onRebuild: (e) => printRebuild(io, e),
    });
    const a = session.address;
    const hasGateway = existsSync(join(project.dir, 'gateway.yaml'));
    io.out(`dev: serving http://${a.address}:${a.port} (${hasGateway ? 'gateway.yaml' : 'the plugin in front of the built-in echo backend'}; admin http://${session.adminAddress.address}:${session.adminAddress.port}); watching ${relative(io.cwd, project.dir) || '.'} for changes, Ctrl-C stops`);
    await io.stopSignal;
    io.err('dev: stopping');
    await session.close();
    return 0;
  } catch (e) {
    await session?.close();
    return renderError(io, e);
  }
};
