/**
 * `wasmgate init` and `wasmgate build` as a plugin author runs them: the AssemblyScript project from
 * init installs its dependencies and passes its own tests (init → npm test), compile errors come back
 * with file:line:col and exit 1, a missing toolchain is a WG_BUILD_TOOLCHAIN naming the install
 * command, and init never writes into a folder that has files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from '../helpers/cli.js';
import { initProject, nodeEnv, runProgram, sdkSkip, tempDir } from '../helpers/author.js';

describe('wasmgate init', () => {
  test('writes the Go and Rust projects with the manifest, gateway config, test and README', async (t) => {
    const dir = tempDir(t);
    const go = await initProject(dir, 'hello-go', ['--lang', 'go']);
    for (const f of ['main.go', 'go.mod', 'build.sh', 'package.json', 'wasmplugin.yaml', 'gateway.yaml', 'README.md', 'test/plugin.test.mjs', '.gitignore']) {
      assert.ok(existsSync(join(go, f)), `go project has ${f}`);
    }
    const main = readFileSync(join(go, 'main.go'), 'utf8');
    for (const s of ['wrapper.SetCtx(', 'wrapper.ParseConfig(parseConfig)', 'wrapper.ProcessRequestHeaders(onHttpRequestHeaders)', '"hello-go"']) assert.ok(main.includes(s), s);
    assert.match(readFileSync(join(go, 'build.sh'), 'utf8'), /GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build\/plugin.wasm/);
    const rust = await initProject(dir, 'hello-rust', ['--lang', 'rust']);
    assert.match(readFileSync(join(rust, 'Cargo.toml'), 'utf8'), /crate-type = \["cdylib"\]/);
    assert.match(readFileSync(join(rust, 'build.sh'), 'utf8'), /cp target\/wasm32-wasip1\/release\/hello_rust\.wasm build\/plugin\.wasm/);
    const plugin = readFileSync(join(rust, 'wasmplugin.yaml'), 'utf8');
    assert.match(plugin, /apiVersion: extensions\.higress\.io\/v1alpha1\nkind: WasmPlugin/);
    assert.match(plugin, /url: file:\/\/\.\/build\/plugin\.wasm/);
    const pkg = JSON.parse(readFileSync(join(rust, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; scripts: Record<string, string> };
    assert.match(pkg.devDependencies['@wasmgate/testing']!, /^file:.*packages\/testing$/);
    assert.equal(pkg.scripts.test, 'wasmgate build && node --test test/*.test.mjs');
  });

  test('--sdk-version (and WASMGATE_SDK_VERSION) writes registry versions instead of file: paths', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'pinned', ['--sdk-version', '^0.1.0']);
    const deps = (JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    assert.deepEqual(deps, { '@wasmgate/host': '^0.1.0', '@wasmgate/sdk': '^0.1.0', '@wasmgate/testing': '^0.1.0', assemblyscript: '^0.28.20', wasmgate: '^0.1.0' });
    const viaEnv = await runProgram(process.execPath, [CLI, 'init', join(dir, 'env'), '--lang', 'go', '--no-install'], { cwd: dir, env: nodeEnv({ WASMGATE_SDK_VERSION: '0.1.x' }) });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal((JSON.parse(readFileSync(join(dir, 'env', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.wasmgate, '0.1.x');
  });

  test('refuses a folder that has files (WG_INIT_NOT_EMPTY, exit 2) and an unknown --lang (usage)', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine');
    const r = await runCli(['init', join(dir, 'taken')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error WG_INIT_NOT_EMPTY: .*taken is not empty \(notes\.txt\); init never overwrites files$/m);
    assert.equal(readFileSync(join(dir, 'taken', 'notes.txt'), 'utf8'), 'mine');
    const lang = await runCli(['init', join(dir, 'x'), '--lang', 'zig']);
    assert.equal(lang.code, 2);
    assert.match(lang.stderr, /error WG_CLI_USAGE: --lang must be one of as, go, rust, not "zig"/);
  });

  test('--help of init, build, dev and manifest prints their usage; wasmgate --help lists them', async () => {
    for (const cmd of ['init', 'build', 'dev', 'manifest']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: wasmgate ${cmd} `));
    }
    const all = await runCli(['--help']);
    for (const cmd of ['init', 'build', 'dev', 'manifest']) assert.match(all.stdout, new RegExp(`^  ${cmd} `, 'm'));
  });
});

describe('wasmgate build: toolchains', () => {
  test('a missing Go or Rust toolchain is WG_BUILD_TOOLCHAIN with the install commands, exit 1', async (t) => {
    const dir = tempDir(t);
    const go = await initProject(dir, 'g', ['--lang', 'go']);
    const rust = await initProject(dir, 'r', ['--lang', 'rust']);
    // An empty PATH: no go, tinygo, cargo or rustup, whatever this machine has.
    const env = { ...nodeEnv(), PATH: join(dir, 'empty-bin') };
    const g = await runProgram(process.execPath, [CLI, 'build'], { cwd: go, env });
    assert.equal(g.code, 1);
    assert.match(g.stderr, /^error WG_BUILD_TOOLCHAIN: cannot build the Go plugin in .*: neither go nor tinygo is on PATH$/m);
    assert.match(g.stderr, /go\.dev\/dl/);
    const r = await runProgram(process.execPath, [CLI, 'build', rust], { cwd: dir, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error WG_BUILD_TOOLCHAIN: cannot build the Rust plugin in .*: cargo is not on PATH$/m);
    assert.match(r.stderr, /rustup target add wasm32-wasip1/);
  });

  test('a folder that is no project is WG_BUILD_NO_PROJECT, exit 2', async (t) => {
    const dir = tempDir(t);
    const r = await runCli(['build', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error WG_BUILD_NO_PROJECT: .* has no go\.mod, Cargo\.toml, asconfig\.json/m);
  });
});

describe('the AssemblyScript project', { skip: sdkSkip() }, () => {
  test('init (which runs npm install) → npm test passes', { timeout: 300_000 }, async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'hello-as', [], { install: true });
    assert.ok(existsSync(join(p, 'node_modules', '@wasmgate', 'testing', 'package.json')), 'init installed the dependencies');
    const r = await runProgram('npm', ['test'], { cwd: p, timeoutMs: 180_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /built build\/plugin\.wasm in \d+ ms \(as, assembly\/index\.ts\)/);
    assert.match(r.stdout, /abi: +0\.2\.100/);
    assert.match(r.stdout, /^(?:# |ℹ )pass 2$/m);
    assert.match(r.stdout, /^(?:# |ℹ )fail 0$/m);

    // --abi 0.2.1 for plain Envoy; --out elsewhere.
    const envoy = await runProgram(process.execPath, [CLI, 'build', '--abi', '0.2.1', '--out', 'build/envoy.wasm'], { cwd: p });
    assert.equal(envoy.code, 0, envoy.stderr);
    assert.match(envoy.stdout, /abi: +0\.2\.1$/m);

    // A compile error: the compiler's file:line:col, WG_BUILD_COMPILE, exit 1.
    const src = join(p, 'assembly', 'index.ts');
    writeFileSync(src, readFileSync(src, 'utf8').replace('return Action.Continue;', 'return Action.Continue +;'));
    const broken = await runProgram(process.execPath, [CLI, 'build'], { cwd: p });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^error WG_BUILD_COMPILE: the AssemblyScript build failed \(asc assembly\/index\.ts .*-O3/m);
    assert.match(broken.stderr, /assembly\/index\.ts:\d+:\d+/);
  });
});
