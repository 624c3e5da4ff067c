/**
 * The wasmgate CLI. The only module that touches `process`: it builds a CliIo and lazily imports the
 * command (vite's pattern), so `wasmgate inspect` never loads the HTTP stack.
 */
import { readFileSync } from 'node:fs';
import type { CliIo, CommandRunner } from './io.js';
import { COMMAND_SPECS } from './specs.js';

const OCI_COMMAND = './commands/oci.js';

const COMMANDS: Record<string, () => Promise<{ run: CommandRunner }>> = {
  serve: () => import('./commands/serve.js'),
  run: () => import('./commands/run.js'),
  validate: () => import('./commands/validate.js'),
  inspect: () => import('./commands/inspect.js'),
  // Held in a variable so the CLI builds even on a checkout without the OCI command compiled in.
  oci: () => import(OCI_COMMAND) as Promise<{ run: CommandRunner }>,
  init: () => import('./commands/init.js'),
  build: () => import('./commands/build.js'),
  dev: () => import('./commands/dev.js'),
  manifest: () => import('./commands/manifest.js'),
};

/** The version of the wasmgate package (packages/gateway/package.json, next to dist/). */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function usage(): string {
  return [
    'usage: wasmgate <command> [options]',
    '',
    'commands:',
    ...COMMAND_SPECS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`),
    '',
    'options:',
    '  -h, --help     print this help (after a command: that command\'s options)',
    '  -v, --version  print the version',
    '',
    'Run "wasmgate <command> --help" for a command\'s options.',
  ].join('\n');
}

/*
 * Stopping. The first SIGINT or SIGTERM resolves `stopSignal`: long-running commands (serve, run)
 * drain and return their exit code. Another one while that runs forces the exit, with 128 + the
 * signal's number as shells report it: 130 after SIGINT, 143 after SIGTERM (users press Ctrl-C
 * twice). A copy arriving within DUPLICATE_MS of the first is the same request, not a second one:
 * a terminal sends Ctrl-C to the whole foreground process group, and the launcher (bin/wasmgate.js on
 * an old Node) and npm each forward it once more.
 */
const DUPLICATE_MS = 500;
const FORCED_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
let stoppingSince: number | undefined;
let resolveStop!: () => void;
const stop = new Promise<void>((resolve) => { resolveStop = resolve; });
const requestStop = () => {
  stoppingSince ??= performance.now();
  resolveStop();
};

const io: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  cwd: process.cwd(),
  env: process.env,
  stopSignal: stop,
  onReopenLogs: (listener) => void process.on('SIGUSR1', listener),
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stoppingSince === undefined) return requestStop();
    if (performance.now() - stoppingSince < DUPLICATE_MS) return;
    io.err(`wasmgate: ${signal} while shutting down, exiting now without waiting (exit ${FORCED_EXIT[signal]})`);
    process.exit(FORCED_EXIT[signal]);
  });
}

/*
 * Started by the launcher (bin/wasmgate.js re-runs itself on Node 24 when the Node it was given is
 * too old). The launcher forwards signals, but it cannot forward its own SIGKILL: then the only trace
 * is the IPC channel it gave us, which the kernel closes. That 'disconnect' is a stop request like
 * SIGTERM. The channel is unref'd so that it never keeps the process alive by itself, and the
 * variable is dropped so that nothing started from here inherits it.
 */
const launcher = process.env.WASMGATE_LAUNCHED_BY;
delete process.env.WASMGATE_LAUNCHED_BY;
if (launcher !== undefined) {
  const launcherGone = () => {
    io.err(`wasmgate: the launcher (pid ${launcher}) is gone, stopping`);
    requestStop();
  };
  if (process.connected) {
    process.once('disconnect', launcherGone);
    process.channel?.unref();
  } else if (process.send !== undefined) {
    // There was a channel (Node defines process.send only then) and it is closed already: the
    // launcher died before this module was loaded, and its 'disconnect' event went unheard.
    launcherGone();
  }
}

const [name, ...rest] = process.argv.slice(2);
if (name === '--version' || name === '-v' || name === 'version') {
  io.out(`wasmgate ${version()}`);
  process.exit(0);
}
// `wasmgate help serve` is `wasmgate serve --help`.
const helpFor = name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]] ? rest[0] : undefined;
if (!name || ((name === '--help' || name === '-h' || name === 'help') && !helpFor)) {
  if (name) io.out(usage());
  else io.err(`error WG_CLI_USAGE: no command given\n${usage()}`);
  process.exit(name ? 0 : 2);
}
const load = COMMANDS[helpFor ?? name];
if (!load) {
  io.err(`error WG_CLI_UNKNOWN_COMMAND: unknown command "${name}"${name.startsWith('-') ? ' (options go after the command)' : ''}\n${usage()}`);
  process.exit(2);
}
const code = await (await load()).run(helpFor ? ['--help'] : rest, io);
process.exit(code);
