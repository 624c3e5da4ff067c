/**
 * `wasmgate manifest [dir] --image oci://REGISTRY/REPO:TAG [--offline] [-o FILE] [--plain-http]
 * [--pull-secret FILE]` (options: `../specs.ts`, MANIFEST): the project's wasmplugin.yaml with the
 * image's url and sha256 (author/wasmplugin.ts says what sha256 is and why).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import { DEFAULT_OUTPUT } from '../../author/project.js';
import { manifestFor, readWasmPlugin } from '../../author/wasmplugin.js';
import { buildPluginImage, fetchPlugin, parseOciRef } from '../../plugins/sources/index.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { MANIFEST } from '../specs.js';
import { pullSecret } from './oci.js';

type Values = { image?: string; offline?: boolean; output?: string; 'plain-http'?: boolean; 'pull-secret'?: string };

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  try {
    const parsed = parseCommand(MANIFEST, args);
    if (parsed.help) {
      io.out(usageText(MANIFEST));
      return 0;
    }
    const v = parsed.values as Values;
    const image = v.image!.startsWith('oci://') ? v.image! : `oci://${v.image!}`;
    let ref;
    try {
      ref = parseOciRef(image);
    } catch (e) {
      throw usageError(MANIFEST, `--image must be oci://REGISTRY/REPO:TAG: ${(e as Error).message}`);
    }
    const dir = resolve(io.cwd, parsed.positionals[0] ?? '.');
    const doc = readWasmPlugin(join(dir, 'wasmplugin.yaml'));
    const wasmFile = join(dir, DEFAULT_OUTPUT);
    const local = existsSync(wasmFile) ? new Uint8Array(readFileSync(wasmFile)) : undefined;
    let digest: string;
    let note: string;
    if (v.offline) {
      if (!local) {
        throw new WasmgateError('WG_CLI_FILE', `--offline computes the digest from ${relative(io.cwd, wasmFile)}, which does not exist`, { hint: 'Run "wasmgate build" first, or leave out --offline to ask the registry.', exit: 2 });
      }
      digest = buildPluginImage(local).manifestDigest;
      note = `WasmPlugin for ${image}; sha256 is the image manifest digest "wasmgate oci push" gives ${DEFAULT_OUTPUT} (computed offline, not checked against the registry)`;
    } else {
      const controller = new AbortController();
      void io.stopSignal.then(() => controller.abort(new Error('interrupted')));
      const got = await fetchPlugin(image, {
        imagePullPolicy: 'Always', cacheDir: false, signal: controller.signal,
        insecureRegistries: v['plain-http'] ? [ref.registry] : [],
        pullSecretFile: pullSecret(v, io),
      });
      if (!got.digest) throw new WasmgateError('WG_SOURCE_MANIFEST', `${image}: the registry gave no manifest digest`);
      digest = got.digest;
      note = `WasmPlugin for ${image}; sha256 is its image manifest digest, read from the registry`;
      if (local && createHash('sha256').update(local).digest('hex') !== got.sha256) {
        io.err(`warning: the module in ${image} is not ${relative(io.cwd, wasmFile)} (rebuilt since the push?); the manifest names the pushed image`);
      }
    }
    const text = manifestFor(doc, image, digest, note);
    if (v.output) {
      writeFileSync(resolve(io.cwd, v.output), text);
      io.err(`wrote ${v.output} (sha256 ${digest.replace(/^sha256:/, '')})`);
    } else {
      for (const l of text.replace(/\n$/, '').split('\n')) io.out(l);
    }
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};
