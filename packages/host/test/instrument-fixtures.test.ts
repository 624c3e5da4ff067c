/**
 * The rewriter on every committed fixture (Go, C, AssemblyScript, WAT), and the memory cap on real
 * plugins: each module still compiles and passes the same load checks; the Go plugins answer
 * exactly as before; Go kitchen-sink's `grow` mode runs into the cap and fails as
 * WG_VM_MEMORY_LIMIT without memory ever passing it; a module that starts above the cap is refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compilePlugin, HeaderMap, instrumentModule, liftStartSection, PluginVm, WasmgateError, type PluginModule } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, readFixture, REPO_ROOT } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { wasm } from './helpers/wasm-bytes.js';

const LIMITS = { interrupt: true, maxMemoryPages: 2048 } as const;
const MiB = 1024 * 1024;

function wasmFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) wasmFiles(p, out);
    else if (n.endsWith('.wasm')) out.push(relative(REPO_ROOT, p));
  }
  return out.sort();
}

/** The code of the error compilePlugin throws, or 'ok'. */
async function outcome(bytes: Uint8Array, label: string, limits = {}): Promise<string> {
  try {
    await compilePlugin(bytes, label, limits);
    return 'ok';
  } catch (e) {
    if (e instanceof WasmgateError) return e.code;
    throw e;
  }
}

describe('every committed fixture survives instrumentation', () => {
  const files = wasmFiles(join(REPO_ROOT, 'fixtures'));
  test(`${files.length} fixtures compile after instrumentModule({ interrupt, maxMemoryPages: 2048 }) and pass the same load checks`, async () => {
    assert.ok(files.length >= 25, `found only ${files.length} fixtures`);
    for (const rel of files) {
      const bytes = readFixture(rel);
      const out = instrumentModule(liftStartSection(bytes), LIMITS, rel);
      // None of the committed fixtures is meant to fail compilation (no-marker, no-allocator and
      // unknown-import fail the Proxy-Wasm checks after it), so every one must still compile.
      await assert.doesNotReject(wasm.compile(out), rel);
      assert.equal(await outcome(bytes, rel, LIMITS), await outcome(bytes, rel), rel);
    }
  });
});

interface Answer {
  events: string[];
  upstream: unknown;
  downstream: unknown;
  body: string;
  replies: unknown[];
  errors: string[];
  logs: string[];
}

/** One request through a fresh VM of `mod`: what left the chain and what the plugin logged. */
async function answer(mod: PluginModule, config: string, headers: HeaderMap, props: Record<string, string> = {}): Promise<Answer> {
  const ports = new TestPorts();
  const vm = await PluginVm.create(mod, { ports, name: 'p' });
  const root = vm.createRoot({ name: 'p', config });
  const run = openStream([filter(vm, root)], { props });
  run.stream.requestHeaders(headers, true);
  if (!run.sink.downstreamHeaders) run.stream.responseHeaders(new HeaderMap([[':status', '200']]), true);
  run.stream.finish();
  return {
    events: run.sink.events,
    upstream: run.sink.upstreamHeaders?.pairs,
    downstream: run.sink.downstreamHeaders?.pairs,
    body: run.sink.downstreamBody,
    replies: run.localReplies.map((r) => [r.status, r.details, r.headers]),
    errors: run.filterErrors.map((e) => e.code),
    logs: ports.logs.map((l) => `${l.level} ${l.message}`),
  };
}

describe('instrumented Go plugins answer exactly as before', () => {
  test('headers-bench: add/get/remove 20 headers, same upstream request, no log line', async () => {
    const bytes = readFixture(FIXTURES.headersBench);
    const [plain, inst] = [await compilePlugin(bytes, 'hb'), await compilePlugin(bytes, 'hb', LIMITS)];
    assert.equal(inst.sha256, plain.sha256, 'sha256 is that of the original bytes');
    assert.deepEqual(inst.limits, LIMITS);
    assert.deepEqual(plain.limits, { interrupt: false });
    const req = () => requestHeaders([['user-agent', 'bench'], ['x-keep', '1']]);
    const a = await answer(inst, '', req());
    assert.deepEqual(a, await answer(plain, '', req()));
    assert.deepEqual(a.errors, []);
    assert.deepEqual(a.logs, []);
  });

  test('mock-response: every row of its README table', async () => {
    const bytes = readFixture(FIXTURES.mockResponse);
    const [plain, inst] = [await compilePlugin(bytes, 'mr'), await compilePlugin(bytes, 'mr', LIMITS)];
    const config = JSON.stringify({
      content: 'hello higress',
      _rules_: [{ _match_route_: ['default/foo'], content: 'hello foo' }, { _match_domain_: ['*.example.com', 'www.test.com'], content: 'hello world' }],
    });
    const rows: [string, Record<string, string>, string][] = [
      ['example.com', { route_name: 'default/foo' }, 'hello foo'],
      ['a.example.com:8080', {}, 'hello world'],
      ['WWW.Test.com', {}, 'hello world'],
      ['example.com', {}, 'hello higress'],
    ];
    for (const [authority, props, body] of rows) {
      const a = await answer(inst, config, requestHeaders([], '/', 'GET', authority), props);
      assert.deepEqual(a, await answer(plain, config, requestHeaders([], '/', 'GET', authority), props), authority);
      assert.equal(a.body, body, authority);
    }
  });
});

describe('memory cap', () => {
  test('Go kitchen-sink grow under a 128 MiB cap: fails with WG_VM_MEMORY_LIMIT, memory never passes the cap', async () => {
    const cap = (128 * MiB) / 65536;
    const mod = await compilePlugin(readFixture(FIXTURES.kitchenSink), 'ks', { maxMemoryPages: cap });
    const ports = new TestPorts();
    const vm = await PluginVm.create(mod, { ports, name: 'ks' });
    const root = vm.createRoot({ name: 'ks' });
    const retained: string[] = [];
    let failure: WasmgateError | undefined;
    for (let i = 0; i < 10 && !failure; i++) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'grow']]), true);
      assert.ok(vm.memory.size <= 128 * MiB, `memory is ${vm.memory.size} bytes after request ${i + 1}`);
      const got = run.sink.upstreamHeaders?.get('x-grow-retained-mib');
      if (got) retained.push(got);
      failure = run.filterErrors[0];
      run.stream.finish();
    }
    assert.deepEqual(retained, ['64'], 'the first 64 MiB fit, the second do not');
    assert.equal(failure?.code, 'WG_VM_MEMORY_LIMIT');
    assert.match(failure.message, /^plugin ks ran out of memory: linear memory is capped at 128 MiB \(wasmgate\.limits\.maxMemoryMiB\), a memory\.grow was refused, and proxy_on_request_headers then failed: /);
    assert.equal(vm.interruptFlags?.[1], 1);
    assert.ok(ports.messages({ source: 'stderr' }).join('').includes('out of memory'), 'the Go runtime says so on stderr');
  });

  test('a refused grow the plugin handles is not a failure (WAT grow logs and goes on)', async () => {
    const mod = await compilePlugin(readFixture('fixtures/wat/grow.wasm'), 'grow', { maxMemoryPages: 40 });
    const ports = new TestPorts();
    const vm = await PluginVm.create(mod, { ports, name: 'grow' });
    const root = vm.createRoot({ name: 'grow' });
    for (let i = 0; i < 3; i++) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders(), true);
      assert.deepEqual(run.filterErrors, []);
      run.stream.finish();
    }
    assert.ok(vm.memory.size <= 40 * 65536);
    assert.equal(vm.interruptFlags?.[1], 1, 'the refusal is flagged');
    assert.ok(ports.messages({ level: 4 }).includes('grow: memory.grow failed'));
    assert.equal(vm.failure, undefined);
  });

  test('a corrupt module is still reported by V8 (WG_PLUGIN_COMPILE), limits or not', async () => {
    const bytes = readFixture(FIXTURES.headersBench);
    const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
    assert.equal(await outcome(truncated, 'cut', LIMITS), 'WG_PLUGIN_COMPILE');
    assert.equal(await outcome(truncated, 'cut'), 'WG_PLUGIN_COMPILE');
  });

  test('a module whose initial memory is above the cap is refused at compile time', async () => {
    await assert.rejects(compilePlugin(readFixture(FIXTURES.kitchenSink), 'kitchen-sink', { maxMemoryPages: 32 }), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_MEMORY_LIMIT');
      assert.equal(e.message, 'kitchen-sink needs 2.5 MiB of linear memory at start, but wasmgate.limits.maxMemoryMiB is 2 MiB');
      return true;
    });
  });
});
