/**
 * `wasmgate build` for Go and Rust drives the toolchain with the canonical command lines. This
 * machine has no Go 1.24 and no wasm32-wasip1 Rust target, so stand-in `go`, `tinygo`, `cargo` and
 * `rustup` scripts on PATH record what they were asked and write a known module (a fixture) where
 * the real compiler would; a stand-in that fails prints what a compiler prints.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { fixture } from '../helpers/gateway.js';
import { initProject, nodeEnv, runProgram, tempDir } from '../helpers/author.js';

const MODULE = fixture('go/mock-response/plugin.wasm');

/** Writes an executable shell script `name` into `bin`. */
function tool(bin: string, name: string, body: string): void {
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** PATH = the stand-ins, then only what sh, cp and printf need. */
const envWith = (bin: string) => ({ ...nodeEnv(), PATH: `${bin}:/usr/bin:/bin` });

describe('wasmgate build with stand-in toolchains', () => {
  test('Go 1.24: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, output moved to build/plugin.wasm', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'g', ['--lang', 'go']);
    const bin = join(dir, 'bin');
    const log = join(dir, 'go.log');
    tool(bin, 'go', `
if [ "$1" = env ]; then echo go1.24.5; exit 0; fi
echo "GOOS=$GOOS GOARCH=$GOARCH $*" >> ${log}
out=""; prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
cp ${MODULE} "$out"`);
    const r = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(log, 'utf8'), /^GOOS=wasip1 GOARCH=wasm build -buildmode=c-shared -o \S+\.tmp \.$/m);
    assert.match(r.stdout, /^built build\/plugin\.wasm in \d+ ms \(go, go\.mod\)$/m);
    assert.match(r.stdout, /command: +GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build\/plugin\.wasm \.$/m);
    assert.match(r.stdout, /abi: +0\.2\.1/);
    assert.deepEqual(readFileSync(join(p, 'build', 'plugin.wasm')), readFileSync(MODULE));
  });

  test('Go older than 1.24 without TinyGo: WG_BUILD_TOOLCHAIN names the version; with TinyGo: its wasi flags', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'g', ['--lang', 'go']);
    const bin = join(dir, 'bin');
    tool(bin, 'go', 'echo go1.19.8');
    const old = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(old.code, 1);
    assert.match(old.stderr, /^error WG_BUILD_TOOLCHAIN: cannot build the Go plugin in .*: Go 1\.19 is installed, but Go plugins need Go 1\.24 or newer$/m);
    const log = join(dir, 'tinygo.log');
    tool(bin, 'tinygo', `
echo "$*" >> ${log}
cp ${MODULE} "$3"`);
    const tiny = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(tiny.code, 0, tiny.stderr);
    assert.match(readFileSync(log, 'utf8'), /^build -o \S+ -scheduler=none -target=wasi -gc=custom -tags=custommalloc nottinygc_finalizer -no-debug \.$/m);
  });

  test('a Go compile error: the compiler\'s file:line:col, WG_BUILD_COMPILE, exit 1, build/plugin.wasm untouched', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'g', ['--lang', 'go']);
    const bin = join(dir, 'bin');
    tool(bin, 'go', `
if [ "$1" = env ]; then echo go1.24.5; exit 0; fi
echo "# g" >&2
echo "./main.go:41:2: undefined: proxywasm.AddHttpRequestHeaderX" >&2
exit 1`);
    const r = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error WG_BUILD_COMPILE: the Go build failed \(GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build\/plugin\.wasm \.\)$/m);
    assert.match(r.stderr, /^ {2}\.\/main\.go:41:2: undefined: proxywasm\.AddHttpRequestHeaderX$/m);
    assert.deepEqual(readdirSync(join(p, 'build')), [], 'no module and no temp file left');
  });

  test('Rust: cargo build --target wasm32-wasip1 --release, the crate\'s .wasm copied; a missing target names rustup target add', async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'hello-rs', ['--lang', 'rust']);
    const bin = join(dir, 'bin');
    tool(bin, 'rustup', 'echo x86_64-unknown-linux-gnu');
    tool(bin, 'cargo', 'exit 99');
    const missing = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error WG_BUILD_TOOLCHAIN: .*the Rust target wasm32-wasip1 is not installed \(installed: x86_64-unknown-linux-gnu\)$/m);
    assert.match(missing.stderr, /^hint: rustup target add wasm32-wasip1$/m);
    const log = join(dir, 'cargo.log');
    tool(bin, 'rustup', 'printf "x86_64-unknown-linux-gnu\\nwasm32-wasip1\\n"');
    tool(bin, 'cargo', `
echo "$*" >> ${log}
mkdir -p target/wasm32-wasip1/release
cp ${MODULE} target/wasm32-wasip1/release/hello_rs.wasm`);
    const r = await runProgram(process.execPath, [CLI, 'build'], { cwd: p, env: envWith(bin) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(log, 'utf8'), 'build --target wasm32-wasip1 --release\n');
    assert.match(r.stdout, /command: +cargo build --target wasm32-wasip1 --release && cp target\/wasm32-wasip1\/release\/hello_rs\.wasm build\/plugin\.wasm$/m);
    assert.deepEqual(readFileSync(join(p, 'build', 'plugin.wasm')), readFileSync(MODULE));
  });
});
