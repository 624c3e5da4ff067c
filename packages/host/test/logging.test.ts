/**
 * Logging (reference §4 proxy_log / proxy_get_log_level rows, §6 get_log_level FFI note; traced
 * host checklist 4 and 19).
 *
 * Checklist rows:
 * - log, get/set_buffer_bytes, header … (must) — proxy_log
 * - get_log_level, current_time, get_buffer_status, get_header_map_size (should) — get_log_level
 * Traced host checklist: 19 (the host filters proxy_log by level; guests never ask).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLevel, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';

describe('proxy_log', () => {
  test('kitchen-sink log-levels: six lines trace..critical, attributed to plugin, root and stream', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink, { root: { name: 'ns/ks', rootId: 'rid' } });
    ports.logs.length = 0;
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'log-levels']]), true);
    const id = run.stream.contexts[0]!.id;
    assert.deepEqual(ports.logs.map((r) => [r.level, r.message, r.plugin, r.rootId, r.contextId, r.source]),
      [0, 1, 2, 3, 4, 5].map((l) => [l, `level ${l}`, 'ns/ks', 'rid', id, 'proxy_log']));
  });

  test('the host drops lines below its level (guests do not filter)', async () => {
    const ports = new TestPorts();
    ports.level = LogLevel.warn;
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'log-levels']]), true);
    assert.deepEqual(ports.messages({ source: 'proxy_log' }), ['level 3', 'level 4', 'level 5']);
  });

  test('level > 5 ⇒ BadArgument and nothing logged; UTF-8 decoded; empty message OK', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.call('log', [6, ...h.scratch.put('x')]), WasmResult.BadArgument);
    assert.equal(h.call('log', [2, ...h.scratch.put('grüße ✓')]), WasmResult.Ok);
    assert.equal(h.call('log', [2, 0, 0]), WasmResult.Ok);
    assert.deepEqual(h.ports.messages(), ['grüße ✓', '']);
  });

  test('the last byte of memory is in bounds; one past it is not (fixtures README recipes)', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.memSize, 65536);
    assert.equal(h.call('log', [2, 65535, 1]), WasmResult.Ok);
    assert.equal(h.call('log', [2, 65535, 2]), WasmResult.InvalidMemoryAccess);
    assert.equal(h.call('log', [2, 0xffffffff, 2]), WasmResult.InvalidMemoryAccess, 'no wrap to address 0');
    assert.equal(h.call('get_log_level', [65533]), WasmResult.InvalidMemoryAccess);
  });

  test('a line below the host level is not decoded but still bounds-checked; warn lines stay in error details', async () => {
    const h = await HostcallProxy.create();
    h.ports.level = LogLevel.error;
    // Filtered lines skip the decode: a bad range must still be refused as before.
    assert.equal(h.call('log', [LogLevel.debug, 65535, 2]), WasmResult.InvalidMemoryAccess);
    assert.equal(h.call('log', [LogLevel.debug, ...h.scratch.put('debug line')]), WasmResult.Ok);
    assert.equal(h.call('log', [LogLevel.warn, ...h.scratch.put('warn line')]), WasmResult.Ok);
    assert.deepEqual(h.ports.messages(), [], 'both are below the host level');
    // warn and above are kept for WG_* error details even when filtered out of the log.
    assert.deepEqual(h.vm.recentLogs(), ['warn line']);
  });
});

describe('proxy_get_log_level', () => {
  test('answers the host level as a u32', async () => {
    const h = await HostcallProxy.create();
    for (const level of [LogLevel.trace, LogLevel.info, LogLevel.critical]) {
      h.ports.level = level;
      const out = h.scratch.out();
      assert.equal(h.call('get_log_level', [out]), WasmResult.Ok);
      assert.equal(h.readU32(out), level);
    }
  });
});
