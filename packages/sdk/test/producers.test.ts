// Every SDK build carries a `producers` section naming AssemblyScript and @wasmgate/sdk, so tools
// (wasmgate inspect, the gateway's plugin report) tell an SDK plugin from a Rust or C reactor: the
// SDK imports no env.abort, which is how plain asc builds are recognised.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { reportModule } from '@wasmgate/host';
import { buildPlugin, SDK_ROOT } from './build-plugin.js';

describe('producers section', () => {
  it('names AssemblyScript and the SDK with their versions; the report says so', async () => {
    const wasm = await buildPlugin('basic');
    const mod = new WebAssembly.Module(wasm);
    assert.equal(WebAssembly.Module.customSections(mod, 'producers').length, 1);
    const sdkVersion = (JSON.parse(readFileSync(`${SDK_ROOT}package.json`, 'utf8')) as { version: string }).version;
    const report = reportModule(mod, wasm.length);
    assert.match(report.toolchain, new RegExp(`^AssemblyScript 0\\.\\d+\\.\\d+ \\(@wasmgate/sdk ${sdkVersion.replace(/\./g, '\\.')}\\)$`));
  });
});
