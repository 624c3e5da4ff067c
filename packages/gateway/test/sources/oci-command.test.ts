import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../../src/cli/commands/oci.js';
import type { CliIo } from '../../src/cli/io.js';
import { pushClient } from './support/images.js';
import { pluginWasm } from './support/wasm.js';

const reg = findRegistry();

function captureIo(cwd: string, env: Record<string, string | undefined> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), cwd, env, stopSignal: new Promise<void>(() => {}) };
}

describe('wasmgate oci push / pull', { skip: reg.skip ?? false }, () => {
  let registry: TestRegistry;
  let dir: string;
  const wasm = pluginWasm();
  before(async () => {
    registry = await startRegistry(reg.bin ?? '');
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-oci-cli-'));
    await writeFile(join(dir, 'plugin.wasm'), wasm);
    await writeFile(join(dir, 'README.md'), '# demo\n');
    await writeFile(join(dir, 'spec.yaml'), 'info:\n  name: demo\n');
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('push with README and spec, then pull to a file by tag and with --sha256', async () => {
    const io = captureIo(dir);
    const ref = `${registry.host}/plugins/demo:1.0.0`;
    assert.equal(await run(['push', 'plugin.wasm', ref, '--readme', 'README.md', '--spec', 'spec.yaml', '--plain-http'], io), 0, io.stderr.join('\n'));
    assert.equal(io.stdout[0], `pushed ${ref}`);
    const digest = /^digest: (sha256:[a-f0-9]{64})$/.exec(io.stdout[1] ?? '')?.[1];
    assert.ok(digest, io.stdout.join('\n'));
    assert.ok(io.stdout.includes(`  sha256: ${digest.slice(7)}`));
    const layers = (JSON.parse(new TextDecoder().decode((await pushClient(ref).getManifest('1.0.0')).bytes)) as { layers: unknown[] }).layers;
    assert.equal(layers.length, 3);

    const pullIo = captureIo(dir);
    assert.equal(await run(['pull', `oci://${ref}`, '-o', 'out.wasm', '--plain-http', '--sha256', digest.slice(7)], pullIo), 0, pullIo.stderr.join('\n'));
    assert.deepEqual(new Uint8Array(await readFile(join(dir, 'out.wasm'))), wasm);
    assert.match(pullIo.stdout.join('\n'), new RegExp(`digest: ${digest}`));
  });

  test('errors are rendered with code and hint, and the exit code follows the catalogue', async () => {
    const ref = `${registry.host}/plugins/demo:1.0.0`;
    const io = captureIo(dir);
    assert.equal(await run(['pull', ref, '--plain-http', '--sha256', '0'.repeat(64), '-o', 'x.wasm'], io), 2);
    assert.match(io.stderr[0] ?? '', /^error WG_SOURCE_DIGEST_MISMATCH: /);
    assert.ok(io.stderr.some((l) => l.startsWith('hint: ')));

    const insecure = captureIo(dir);
    assert.equal(await run(['pull', ref], insecure), 2);
    assert.match(insecure.stderr.join('\n'), /WG_SOURCE_INSECURE[\s\S]*--plain-http/);

    const notWasm = captureIo(dir);
    assert.equal(await run(['push', 'README.md', ref, '--plain-http'], notWasm), 2);
    assert.match(notWasm.stderr[0] ?? '', /WG_SOURCE_NOT_WASM/);
  });

  test('usage problems exit 2; --help exits 0', async () => {
    for (const args of [[], ['push', 'plugin.wasm'], ['pull'], ['frobnicate'], ['pull', 'x', '--bogus']]) {
      const io = captureIo(dir);
      assert.equal(await run(args, io), 2, args.join(' '));
      assert.match(io.stderr[0] ?? '', /^error WG_CLI_USAGE/);
    }
    const help = captureIo(dir);
    assert.equal(await run(['--help'], help), 0);
    assert.match(help.stdout.join('\n'), /^usage: wasmgate oci <push\|pull> …\n[^]*wasmgate oci push <plugin\.wasm> <registry\/repo:tag>[^]*wasmgate oci pull /);
    const pushHelp = captureIo(dir);
    assert.equal(await run(['push', '--help'], pushHelp), 0);
    assert.match(pushHelp.stdout.join('\n'), /^usage: wasmgate oci push [^]*--readme <README\.md>[^]*--pull-secret <config\.json>/);
  });

  test('credentials come from --pull-secret or $DOCKER_CONFIG/config.json', async () => {
    // An anonymous registry ignores credentials; this checks the file is found and read.
    await writeFile(join(dir, 'config.json'), '{ not json');
    const io = captureIo(dir, { DOCKER_CONFIG: dir });
    assert.equal(await run(['pull', `${registry.host}/plugins/demo:1.0.0`, '--plain-http', '-o', 'y.wasm'], io), 2);
    assert.match(io.stderr[0] ?? '', /WG_SOURCE_AUTH: .*config\.json is not JSON/);
  });
});
