/**
 * `wasmgate oci push|pull`: publish a plugin as the OCI image Higress publishes (README/spec layers
 * optional, `plugin.tar.gz` last), or fetch the module out of an image into a file.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import { fetchPlugin, parseOciRef, pushPlugin } from '../../plugins/sources/index.js';
import { sourceError } from '../../plugins/sources/errors.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText, type CommandSpec } from '../options.js';
import { renderError } from '../render-error.js';
import { OCI, OCI_PULL, OCI_PUSH } from '../specs.js';

type Values = { readme?: string; spec?: string; 'plain-http'?: boolean; 'pull-secret'?: string; sha256?: string; output?: string };

/** The credentials file: the flag, else Docker's own config when it exists (as docker and oras do). */
export function pullSecret(values: { 'pull-secret'?: string }, io: CliIo): string | undefined {
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
  const [file, ref] = positionals as [string, string];
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
  const [ref] = positionals as [string];
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
  const SUBS: Record<string, CommandSpec> = { push: OCI_PUSH, pull: OCI_PULL };
  let spec: CommandSpec;
  let values: Values;
  let positionals: string[];
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      if (sub === undefined) throw usageError(OCI, 'oci needs a sub-command: push or pull');
      io.out(usageText(OCI));
      return 0;
    }
    const found = SUBS[sub];
    if (!found) throw usageError(OCI, `unknown oci sub-command "${sub}": push or pull`);
    spec = found;
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      io.out(usageText(spec));
      return 0;
    }
    values = parsed.values as Values;
    positionals = [...parsed.positionals];
  } catch (e) {
    return renderError(io, e);
  }
  const controller = new AbortController();
  void io.stopSignal.then(() => controller.abort(new Error('interrupted')));
  try {
    return spec === OCI_PUSH ? await push(positionals, values, io, controller.signal) : await pull(positionals, values, io, controller.signal);
  } catch (e) {
    return renderError(io, e);
  }
};
