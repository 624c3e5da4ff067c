/**
 * The report `wasmgate build` prints after a build (author/report.ts), and asc's messages turned
 * into file:line:col (author/diagnostics.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { reportModule } from '../../src/author/report.js';
import { ascDiagnostics } from '../../src/author/diagnostics.js';
import { crateName } from '../../src/author/build.js';
import { fixture } from '../helpers/gateway.js';

async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('probe.wat', text);
  try {
    return mod.toBinary({ log: false }).buffer;
  } finally {
    mod.destroy();
  }
}

test('a good module: size, ABI version, callbacks and imports, no warnings', async () => {
  const r = await reportModule(new Uint8Array(readFileSync(fixture('wat/minimal.wasm'))), 'minimal.wasm');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.abiVersion, '0.2.1');
  assert.match(r.lines.join('\n'), /size: +\d+ bytes/);
  assert.match(r.lines.join('\n'), /imports: +0 \(0 implemented, 0 stubs, 0 missing\)/);
});

test('an import neither wasmgate nor Envoy provides is a warning, and so are a missing marker and allocator', async () => {
  const bytes = await wat(`(module
    (import "env" "my_custom_hostcall" (func (param i32)))
    (memory (export "memory") 1))`);
  const r = await reportModule(bytes, 'odd.wasm');
  assert.deepEqual(r.warnings, [
    'imports env.my_custom_hostcall (function), which neither wasmgate nor Envoy provides: the plugin will fail to load',
    'exports no Proxy-Wasm ABI marker: gateways will refuse it',
    'exports neither proxy_on_memory_allocate nor malloc: gateways will refuse it',
  ]);
});

test('asc diagnostics get their position first, the code frame kept', () => {
  const asc = [
    'ERROR TS1109: Expression expected.',
    '    :',
    ' 28 │ return Action.Continue +;',
    '    │                         ^',
    '    └─ in assembly/index.ts(28,27)',
    '',
    'WARNING AS235: Only variables, functions and enums become WebAssembly module exports.',
    '    └─ in assembly/index.ts(3,1)',
    'FAILURE 1 parse error(s)',
  ].join('\n');
  assert.equal(ascDiagnostics(asc), [
    'assembly/index.ts:28:27: error TS1109: Expression expected.',
    '    :',
    ' 28 │ return Action.Continue +;',
    '    │                         ^',
    '',
    'assembly/index.ts:3:1: warning AS235: Only variables, functions and enums become WebAssembly module exports.',
    'FAILURE 1 parse error(s)',
  ].join('\n'));
});

test('the .wasm cargo writes is named after [lib] name, else [package] name, dashes as underscores', () => {
  assert.equal(crateName('[package]\nname = "hello-rust"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n'), 'hello_rust');
  assert.equal(crateName('[package]\nname = "a-b"\n[lib]\nname = "custom_lib"\n'), 'custom_lib');
  assert.equal(crateName('[dependencies]\nname = "x"\n'), undefined);
});
