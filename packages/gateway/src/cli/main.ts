/**
 * The wasmgate CLI. The only module that touches `process`: it builds a CliIo and lazily imports the
 * command (vite's pattern), so `wasmgate inspect` never loads the HTTP stack.
 */
import type { CliIo, CommandRunner } from './io.js';

const OCI_COMMAND = './commands/oci.js';

const COMMANDS: Record<string, { load: () => Promise<{ run: CommandRunner }>; summary: string }> = {
  serve: { load: () => import('./commands/serve.js'), summary: 'serve traffic from Ingress + WasmPlugin manifests' },
  run: { load: () => import('./commands/run.js'), summary: 'run one plugin on every request (echo backend by default)' },
  validate: { load: () => import('./commands/validate.js'), summary: 'check manifests and list every error with its location' },
  inspect: { load: () => import('./commands/inspect.js'), summary: 'show a plugin\'s ABI version, toolchain, exports and imports' },
  // Held in a variable so the CLI builds even on a checkout without the OCI command compiled in.
  oci: { load: () => import(OCI_COMMAND) as Promise<{ run: CommandRunner }>, summary: 'push/pull plugins to/from an OCI registry' },
};

function usage(): string {
  return ['usage: wasmgate <command> [options]', '', ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(9)} ${c.summary}`)].join('\n');
}

const stop = new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});

const io: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  cwd: process.cwd(),
  env: process.env,
  stopSignal: stop,
};

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  io.out(usage());
  process.exit(name ? 0 : 2);
}
const cmd = COMMANDS[name];
if (!cmd) {
  io.err(`error WG_CLI_UNKNOWN_COMMAND: unknown command "${name}"\n${usage()}`);
  process.exit(2);
}
const code = await (await cmd.load()).run(rest, io);
process.exit(code);
