/**
 * The rewriter's instruction decoder on hand-made bodies. Each body hides bytes that look like
 * `loop` (0x03) or `memory.grow` (0x40) inside immediates (br_table targets, memargs with a memory
 * index, SIMD lanes, try_table catches, s33 block types) and ends with one real loop: a decoder
 * that gets an immediate's length wrong puts a check in the wrong place, which the byte-for-byte
 * comparison shows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instrumentModule, WasmgateError } from '@wasmgate/host';
import { buildModule, codeBodies, counted, importFunc, leb, wasm, type ModuleSpec } from './helpers/wasm-bytes.js';

/** The interrupt check for interrupt memory `mem`. */
function check(mem: number): number[] {
  return [0x41, 0x00, 0xfe, 0x12, 0x40, ...leb(mem), 0x00, 0x04, 0x40, 0x00, 0x0b];
}
const LOOP = [0x03, 0x40, 0x0b]; // loop end
/** What LOOP becomes: the check right after the loop's block type. */
const loopChecked = (mem = 1) => [0x03, 0x40, ...check(mem), 0x0b];

/** Instruments a one-function module and returns the rewritten body (locals byte included). */
function rewriteOne(body: number[], spec: Partial<ModuleSpec> = {}, opts = { interrupt: true }): { out: Uint8Array; body: number[] } {
  const bytes = buildModule({ ...spec, bodies: [body, ...(spec.bodies ?? [])] });
  const out = instrumentModule(bytes, opts);
  return { out, body: codeBodies(out)[0]! };
}

/** A body wrapped the way codeBodies returns it: no locals, final end. */
const asBody = (instrs: number[]) => [0x00, ...instrs, 0x0b];

describe('instrumentModule: decoding every immediate', () => {
  test('a plain loop gets the check after its block type; a function without calls gets no entry check', () => {
    const { out, body } = rewriteOne([...LOOP]);
    assert.deepEqual(body, asBody(loopChecked()));
    assert.ok(wasm.validate(out));
  });

  test('br_table: a count and targets of 3 are not loops; i32.const 3 is not either', () => {
    const blocks = [0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40];
    const instrs = [...blocks, 0x41, 0x00, 0x0e, 0x03, 0x03, 0x00, 0x02, 0x03, 0x0b, 0x0b, 0x0b, 0x0b, 0x41, 0x03, 0x1a];
    const { out, body } = rewriteOne([...instrs, ...LOOP]);
    assert.deepEqual(body, asBody([...instrs, ...loopChecked()]));
    assert.ok(wasm.validate(out));
  });

  test('memarg with a memory index (bit 6 of the flags): the index comes before the offset', () => {
    // i32.load (memory 1) offset=3; i32.load offset=3 on memory 0; memory.size 1.
    const instrs = [0x41, 0x00, 0x28, 0x42, 0x01, 0x03, 0x1a, 0x41, 0x00, 0x28, 0x02, 0x03, 0x1a, 0x3f, 0x01, 0x1a];
    const { out, body } = rewriteOne([...instrs, ...LOOP], { memories: [[0x00, 0x01], [0x00, 0x01]] });
    // Two memories already: the interrupt memory is index 2.
    assert.deepEqual(body, asBody([...instrs, ...loopChecked(2)]));
    assert.ok(wasm.validate(out));
  });

  test('SIMD: v128.const and i8x16.shuffle carry 16 bytes, lane and memarg immediates are skipped', () => {
    const threes = Array<number>(16).fill(0x03);
    const instrs = [
      0xfd, 0x0c, ...threes, // v128.const
      0xfd, 0x0c, ...Array<number>(16).fill(0x40),
      0xfd, 0x0d, ...threes, // i8x16.shuffle
      0xfd, 0x16, 0x03, 0x1a, // i8x16.extract_lane_u 3; drop
      0x41, 0x00, 0xfd, 0x5c, 0x02, 0x03, 0x1a, // v128.load32_zero align=2 offset=3; drop
      0x41, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x04, 0x03, // i32.const 0; v128.load offset=3
      0xfd, 0x54, 0x00, 0x03, 0x03, 0x1a, // v128.load8_lane offset=3 lane 3; drop
    ];
    const { out, body } = rewriteOne([...instrs, ...LOOP]);
    assert.deepEqual(body, asBody([...instrs, ...loopChecked()]));
    assert.ok(wasm.validate(out));
  });

  test('block types: a type index (s33) of 3 or 200 is not a loop; value and reference types are one or two parts', () => {
    const types = Array.from({ length: 201 }, () => [0x00, 0x00]);
    const instrs = [
      0x02, 0x03, 0x0b, // block (type 3)
      0x02, 0xc8, 0x01, 0x0b, // block (type 200)
      0x02, 0x7f, 0x41, 0x03, 0x0b, 0x1a, // block (result i32) i32.const 3 end drop
      0x02, 0x63, 0x70, 0xd0, 0x70, 0x0b, 0x1a, // block (result (ref null func)) ref.null func end drop
    ];
    const { out, body } = rewriteOne([...instrs, ...LOOP], { types });
    assert.deepEqual(body, asBody([...instrs, ...loopChecked()]));
    assert.ok(wasm.validate(out));
  });

  test('exception handling: try_table catch clauses, legacy try/catch/catch_all/delegate, throw, rethrow', () => {
    const instrs = [
      0x02, 0x40, // block
      0x1f, 0x40, 0x03, 0x02, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x0b, // try_table (catch_all 0) (catch_all_ref 0) (catch 3 0) end
      0x0b,
      0x06, 0x40, 0x08, 0x03, 0x07, 0x03, 0x09, 0x00, 0x19, 0x0b, // try throw 3 catch 3 rethrow 0 catch_all end
      0x06, 0x40, 0x01, 0x18, 0x00, // try nop delegate 0 (ends the try like `end`)
    ];
    const { body } = rewriteOne([...instrs, ...LOOP]);
    assert.deepEqual(body, asBody([...instrs, ...loopChecked()]));
  });

  test('threads and bulk memory: atomic.fence has one byte, 0xFC ops their indices', () => {
    const instrs = [
      0xfe, 0x03, 0x00, // atomic.fence
      0x41, 0x00, 0xfe, 0x10, 0x02, 0x03, 0x1a, // i32.atomic.load offset=3
      0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x00, 0x00, // memory.copy 0 0
      0x41, 0x00, 0x41, 0x03, 0x41, 0x00, 0xfc, 0x0b, 0x00, // memory.fill 0
      0x43, 0x00, 0x00, 0x40, 0x40, 0xfc, 0x00, 0x1a, // f32.const 3.0; i32.trunc_sat_f32_s; drop
      0x44, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x1a, // f64.const (8 bytes of 3)
      0x42, 0x83, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, // i64.const, a 10-byte LEB
    ];
    const { out, body } = rewriteOne([...instrs, ...LOOP], { memories: [[0x03, 0x01, 0x01]] });
    assert.deepEqual(body, asBody([...instrs, ...loopChecked()]));
    assert.ok(wasm.validate(out));
  });

  test('memory.grow on memory 0 becomes call $wg_grow; on memory 1 it stays; memory.size stays', () => {
    const instrs = [0x41, 0x01, 0x40, 0x00, 0x1a, 0x41, 0x01, 0x40, 0x01, 0x1a, 0x3f, 0x00, 0x1a];
    const bytes = buildModule({ bodies: [instrs], memories: [[0x00, 0x01], [0x00, 0x01]] });
    const out = instrumentModule(bytes, { maxMemoryPages: 4 });
    const [body, grow] = codeBodies(out);
    // One defined function: $wg_grow is function 1; no (i32)->(i32) type yet, so type 1 is added.
    assert.deepEqual(body, asBody([0x41, 0x01, 0x10, 0x01, 0x1a, 0x41, 0x01, 0x40, 0x01, 0x1a, 0x3f, 0x00, 0x1a]));
    assert.deepEqual(grow, [0x00, 0x20, 0x00, 0x40, 0x00, 0x22, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x41, 0x00, 0x41, 0x01, 0xfe, 0x17, 0x42, 0x02, 0x04, 0x0b, 0x20, 0x00, 0x0b]);
    assert.deepEqual(counted(out, 1), { count: 2, rest: [0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f] });
    assert.deepEqual(counted(out, 3), { count: 2, rest: [0x00, 0x01] });
    assert.ok(wasm.validate(out));
  });

  test('an unknown opcode is an error naming the function and the byte offset, never a guess', () => {
    const bytes = buildModule({ bodies: [[0x01], [0x01, 0xfb, 0x00, 0x1a]], imports: [importFunc('env', 'f', 0)] });
    const at = bytes.indexOf(0xfb);
    assert.throws(() => instrumentModule(bytes, { interrupt: true }, 'gc.wasm'), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_INSTRUMENT');
      assert.match(e.message, new RegExp(`^gc\\.wasm cannot be instrumented: unknown opcode 0xfb in function 2 at byte offset ${at}$`));
      return true;
    });
    for (const [bad, what] of [[[0xfc, 0x12], '0xfc 0x12'], [[0xfe, 0x04], '0xfe 0x04'], [[0x17], '0x17']] as const) {
      const m = buildModule({ bodies: [[...bad]] });
      assert.throws(() => instrumentModule(m, { interrupt: true }), { code: 'WG_PLUGIN_INSTRUMENT', message: new RegExp(`unknown opcode ${what} in function 0`) });
    }
  });

  test('a body whose last `end` comes before its declared size is refused', () => {
    // `nop nop end` rewritten in place to `nop end nop`: same sizes, one byte after the end.
    const good = buildModule({ bodies: [[0x01, 0x01]] });
    const i = good.lastIndexOf(0x0b);
    const trailing = Uint8Array.from([...good.subarray(0, i - 1), 0x0b, 0x01]);
    assert.throws(() => instrumentModule(trailing, { interrupt: true }), { code: 'WG_PLUGIN_INSTRUMENT', message: /function 0 ends at byte offset/ });
  });
});
