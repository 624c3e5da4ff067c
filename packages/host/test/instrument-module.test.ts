/**
 * instrumentModule at the module level, on hand-made modules run directly (no VM): where the
 * interrupt memory goes, which functions get an entry check, how memory 0 is capped, which custom
 * sections survive, and that a set flag really stops a loop and a loop-free recursion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERRUPT_EXPORT, instrumentModule, WasmgateError } from '@wasmgate/host';
import { buildModule, codeBodies, counted, exportEntry, importFunc, importMemory, leb, sections, wasm, type WasmMemory } from './helpers/wasm-bytes.js';

const check = (mem: number) => [0x41, 0x00, 0xfe, 0x12, 0x40, ...leb(mem), 0x00, 0x04, 0x40, 0x00, 0x0b];

function instance(bytes: Uint8Array, imports: object = {}): Record<string, unknown> {
  return new wasm.Instance(new wasm.Module(bytes), imports).exports;
}

describe('instrumentModule: the module around the bodies', () => {
  test('no option: the very same bytes come back', () => {
    const bytes = buildModule({ bodies: [[]] });
    assert.equal(instrumentModule(bytes, {}), bytes);
  });

  test('the interrupt memory comes after imported and defined memories, shared, one page, exported', () => {
    const bytes = buildModule({
      bodies: [[]],
      imports: [importMemory('env', 'other', [0x00, 0x01])],
      memories: [[0x00, 0x01]],
      exports: [exportEntry('memory', 2, 1)],
    });
    const out = instrumentModule(bytes, { interrupt: true });
    assert.deepEqual(counted(out, 5), { count: 2, rest: [0x00, 0x01, 0x03, 0x01, 0x01] });
    assert.deepEqual(counted(out, 7)?.rest, [...exportEntry('memory', 2, 1), ...exportEntry(INTERRUPT_EXPORT, 2, 2)]);
    const ex = instance(out, { env: { other: new wasm.Memory({ initial: 1 }) } });
    const flags = ex[INTERRUPT_EXPORT];
    assert.ok(flags instanceof wasm.Memory);
    assert.ok(flags.buffer instanceof SharedArrayBuffer);
    assert.equal(flags.buffer.byteLength, 65536);
  });

  test('a module without memories gets the interrupt memory as memory 0, in a new memory section', () => {
    const bytes = buildModule({ bodies: [[0x03, 0x40, 0x0b]], memories: [] });
    const out = instrumentModule(bytes, { interrupt: true });
    assert.deepEqual(counted(out, 5), { count: 1, rest: [0x03, 0x01, 0x01] });
    assert.deepEqual(codeBodies(out)[0], [0x00, 0x03, 0x40, ...check(0), 0x0b, 0x0b]);
    assert.deepEqual(sections(out).map((s) => s.id), [1, 3, 5, 7, 10]);
  });

  test('entry checks: only where a call could reach code that does not check', () => {
    // f0 imported; f1 leaf; f2 calls f1 (a leaf: no check); f3 calls f2 (calls: check);
    // f4 calls the import (the host may call back: check); f5 starts with a loop (its loop check
    // runs at entry) and calls f3; f6 calls f5 (checks at once: no check); f7 call_indirect (check).
    const call = (f: number) => [0x10, f];
    const bodies = [
      [0x01],
      call(1),
      call(2),
      call(0),
      [0x02, 0x40, 0x03, 0x40, ...call(3), 0x0b, 0x0b],
      call(5),
      [0x41, 0x00, 0x11, 0x00, 0x00],
    ];
    const bytes = buildModule({ bodies, imports: [importFunc('env', 'f', 0)] });
    const out = instrumentModule(bytes, { interrupt: true });
    const body = codeBodies(out);
    const plain = (b: number[]) => [0x00, ...b, 0x0b];
    assert.deepEqual(body[0], plain([0x01]));
    assert.deepEqual(body[1], plain(call(1)));
    assert.deepEqual(body[2], plain([...check(1), ...call(2)]));
    assert.deepEqual(body[3], plain([...check(1), ...call(0)]));
    assert.deepEqual(body[4], plain([0x02, 0x40, 0x03, 0x40, ...check(1), ...call(3), 0x0b, 0x0b]));
    assert.deepEqual(body[5], plain(call(5)));
    assert.deepEqual(body[6], plain([...check(1), 0x41, 0x00, 0x11, 0x00, 0x00]));
  });

  test('a set flag stops an endless loop and a loop-free recursion, and the instance stays usable', () => {
    // (func $spin (loop (br 0)))  (func $rec (param i32) (result i32) recursion with no loop)
    const rec = [0x20, 0x00, 0x04, 0x7f, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x01, 0x05, 0x41, 0x00, 0x0b];
    const bytes = buildModule({
      types: [[0x00, 0x00], [0x01, 0x7f, 0x01, 0x7f]],
      bodies: [[0x03, 0x40, 0x0c, 0x00, 0x0b], rec],
      funcTypes: [0, 1],
      exports: [exportEntry('spin', 0, 0), exportEntry('rec', 0, 1)],
    });
    const ex = instance(instrumentModule(bytes, { interrupt: true }));
    const flags = new Int32Array((ex[INTERRUPT_EXPORT] as WasmMemory).buffer);
    assert.equal((ex.rec as (n: number) => number)(1000), 0);
    Atomics.store(flags, 0, 1);
    assert.throws(() => (ex.spin as () => void)(), (e: unknown) => e instanceof wasm.RuntimeError && /unreachable/.test(e.message));
    assert.throws(() => (ex.rec as (n: number) => number)(1000), wasm.RuntimeError);
    Atomics.store(flags, 0, 0);
    assert.equal((ex.rec as (n: number) => number)(10), 0);
  });

  test('memory cap: the maximum is set, lowered, or kept when smaller; grow past it returns -1 and sets the flag', () => {
    const limitsOf = (memory: number[], cap: number) => counted(instrumentModule(buildModule({ bodies: [[]], memories: [memory] }), { maxMemoryPages: cap }), 5)!.rest.slice(0, 3);
    assert.deepEqual(limitsOf([0x00, 0x01], 4), [0x01, 0x01, 0x04]);
    assert.deepEqual(limitsOf([0x01, 0x01, 0x0a], 4), [0x01, 0x01, 0x04]);
    assert.deepEqual(limitsOf([0x01, 0x01, 0x02], 4), [0x01, 0x01, 0x02]);
    assert.deepEqual(limitsOf([0x03, 0x01, 0x0a], 4), [0x03, 0x01, 0x04]); // shared stays shared

    // (func (param i32) (result i32) local.get 0 memory.grow 0): its type is reused for $wg_grow.
    const bytes = buildModule({ types: [[0x01, 0x7f, 0x01, 0x7f]], bodies: [[0x20, 0x00, 0x40, 0x00]], exports: [exportEntry('grow', 0, 0)] });
    const out = instrumentModule(bytes, { maxMemoryPages: 3 });
    assert.deepEqual(counted(out, 1)?.count, 1);
    const ex = instance(out);
    const grow = ex.grow as (n: number) => number;
    const flags = new Int32Array((ex[INTERRUPT_EXPORT] as WasmMemory).buffer);
    assert.equal(grow(2), 1);
    assert.equal(flags[1], 0);
    assert.equal(grow(1), -1);
    assert.equal(flags[1], 1);
    assert.equal(grow(0), 3);
  });

  test('memory cap errors: initial size above the cap, imported memory 0, memory64', () => {
    const big = buildModule({ bodies: [[]], memories: [[0x00, 0x28]] }); // 40 pages = 2.5 MiB
    assert.throws(() => instrumentModule(big, { maxMemoryPages: 32 }, 'big.wasm'), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_MEMORY_LIMIT');
      assert.equal(e.message, 'big.wasm needs 2.5 MiB of linear memory at start, but wasmgate.limits.maxMemoryMiB is 2 MiB');
      assert.match(e.hint ?? '', /at least 3/);
      return true;
    });
    const imported = buildModule({ bodies: [[]], memories: [], imports: [importMemory('env', 'memory', [0x00, 0x01])] });
    assert.throws(() => instrumentModule(imported, { maxMemoryPages: 32 }), { code: 'WG_PLUGIN_MEMORY_UNSUPPORTED', message: /imports its memory 0/ });
    assert.doesNotThrow(() => instrumentModule(imported, { interrupt: true }));
    const mem64 = buildModule({ bodies: [[]], memories: [[0x04, 0x01]] });
    assert.throws(() => instrumentModule(mem64, { maxMemoryPages: 32 }), { code: 'WG_PLUGIN_MEMORY_UNSUPPORTED', message: /memory64/ });
    assert.throws(() => instrumentModule(big, { maxMemoryPages: 0 }), RangeError);
  });

  test('custom sections: name and producers kept; DWARF and code metadata dropped when code changes', () => {
    const customs: [string, number[]][] = [['name', [0x01, 0x01]], ['.debug_info', [0x01]], ['metadata.code.branch_hint', [0x00]], ['producers', [0x00]]];
    const changed = instrumentModule(buildModule({ bodies: [[0x03, 0x40, 0x0b]], customs }), { interrupt: true });
    assert.deepEqual(sections(changed).filter((s) => s.id === 0).map((s) => s.name), ['name', 'producers']);
    const same = instrumentModule(buildModule({ bodies: [[0x01]], customs }), { interrupt: true });
    assert.deepEqual(sections(same).filter((s) => s.id === 0).map((s) => s.name), ['name', '.debug_info', 'metadata.code.branch_hint', 'producers']);
  });

  test('a module instrumented twice is refused', () => {
    const once = instrumentModule(buildModule({ bodies: [[]] }), { interrupt: true });
    assert.throws(() => instrumentModule(once, { interrupt: true }), { code: 'WG_PLUGIN_INSTRUMENT', message: /already exports __wasmgate_interrupt/ });
  });
});
