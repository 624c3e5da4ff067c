/**
 * `wasmgate oci push|pull`: publish a plugin as the OCI image Higress publishes (README/spec layers
 * optional, `plugin.tar.gz` last), or fetch the module out of an image into a file.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WasmgateError } from '@wasmgate/host';
import { fetchPlugin, parseOciRef, pushPlugin } from '../../plugins/sources/index.js';
import { sourceError } from '../../plugins/sources/errors.js';
import type { CliIo, CommandRunner } from '../io.js';
import { CLI_ERRORS } from '../errors.js';
import { renderError } from '../render-error.js';

const USAGE = [
  'usage: wasmgate oci push <plugin.wasm> <registry/repo:tag> [--readme README.md] [--spec spec.yaml] [--plain-http] [--pull-secret config.json]',
  '       wasmgate oci pull <registry/repo:tag|registry/repo@sha256:…> [-o plugin.wasm] [--sha256 <manifest digest>] [--plain-http] [--pull-secret config.json]',
  '  --plain-http    talk to the registry over HTTP instead of HTTPS (local/test registries)',
  '  --pull-secret   Docker config JSON with credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
  '  --sha256        expected image manifest digest, as in a WasmPlugin\'s sha256 field',
  '  -o, --output    where to write the module (default plugin.wasm)',
];

const OPTIONS = {
  readme: { type: 'string' },
  spec: { type: 'string' },
  'plain-http': { type: 'boolean' },
  'pull-secret': { type: 'string' },
  sha256: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { readme?: string; spec?: string; 'plain-http'?: boolean; 'pull-secret'?: string; sha256?: string; output?: string; help?: boolean };

function usageError(message: string): WasmgateError {
  return new WasmgateError('WG_CLI_USAGE', message, { hint: CLI_ERRORS.WG_CLI_USAGE.hint, details: USAGE });
}

/** The credentials file: the flag, else Docker's own config when it exists (as docker and oras do). */
function pullSecret(values: Values, io: CliIo): string | undefined {
  if (values['pull-secret']) return resolve(io.cwd, values['pull-secret']);
  const dir = io.env.DOCKER_CONFIG ?? (io.env.HOME ? join(io.env.HOME, '.docker') : undefined);
  const file = dir ? join(dir, 'config.json') : undefined;
  return file && existsSync(file) ? file : undefined;
}

async function readSide(path: string | undefined, io: CliIo, ref: string): Promise<Uint8Array | undefined> {
  if (path === undefined) return undefined;
  const full = resolve(io.cwd, path);
  try {
    return new Uint8Array(await readFile(full));
  } catch (cause) {
    throw sourceError('WG_SOURCE_FILE', { url: ref }, `cannot read ${full}: ${(cause as Error).message}`, { cause });
  }
}

async function push(positionals: string[], values: Values, io: CliIo, signal: AbortSignal): Promise<number> {
  const [file, ref, ...extra] = positionals;
  if (!file || !ref || extra.length > 0) throw usageError('oci push needs <plugin.wasm> and <registry/repo:tag>');
  // Reading through fetchPlugin gives the same file and "not Wasm" errors as the gateway.
  const wasm = await fetchPlugin(file, { baseDir: io.cwd, cacheDir: false, signal });
  const result = await pushPlugin(wasm.bytes, ref, {
    readme: await readSide(values.readme, io, ref),
    spec: await readSide(values.spec, io, ref),
    insecure: values['plain-http'] === true,
    pullSecretFile: pullSecret(values, io),
    signal,
  });
  io.out(`pushed ${result.ref}`);
  io.out(`digest: ${result.digest}`);
  io.out('WasmPlugin fields:');
  io.out(`  url: oci://${result.ref}`);
  io.out(`  sha256: ${result.digest.replace(/^sha256:/, '')}`);
  return 0;
}

async function pull(positionals: string[], values: Values, io: CliIo, signal: AbortSignal): Promise<number> {
  const [ref, ...extra] = positionals;
  if (!ref || extra.length > 0) throw usageError('oci pull needs one image reference');
  const url = ref.startsWith('oci://') ? ref : `oci://${ref}`;
  const registry = parseOciRef(url).registry;
  const got = await fetchPlugin(url, {
    sha256: values.sha256,
    imagePullPolicy: 'Always',
    cacheDir: false,
    insecureRegistries: values['plain-http'] ? [registry] : [],
    pullSecretFile: pullSecret(values, io),
    signal,
  });
  const out = resolve(io.cwd, values.output ?? 'plugin.wasm');
  try {
    await writeFile(out, got.bytes);
  } catch (cause) {
    throw sourceError('WG_SOURCE_FILE', { url }, `cannot write ${out}: ${(cause as Error).message}`, { cause, hint: 'Choose a writable path with -o.' });
  }
  io.out(`pulled ${url.slice('oci://'.length)} → ${out}`);
  io.out(`digest: ${got.digest ?? ''}`);
  io.out(`module: ${got.bytes.length} bytes, sha256 ${got.sha256}`);
  return 0;
}

/** Runs `wasmgate oci <push|pull> …`. */
export const run: CommandRunner = async (args, io) => {
  const [sub, ...rest] = args;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (cause) {
    return renderError(io, usageError(cause instanceof Error ? cause.message : String(cause)));
  }
  if (values.help || sub === '--help' || sub === '-h' || sub === 'help') {
    for (const line of USAGE) io.out(line);
    return 0;
  }
  const controller = new AbortController();
  void io.stopSignal.then(() => controller.abort(new Error('interrupted')));
  try {
    if (sub === 'push') return await push(positionals, values, io, controller.signal);
    if (sub === 'pull') return await pull(positionals, values, io, controller.signal);
    throw usageError(sub ? `unknown oci subcommand "${sub}"` : 'oci needs a subcommand: push or pull');
  } catch (e) {
    return renderError(io, e);
  }
};
