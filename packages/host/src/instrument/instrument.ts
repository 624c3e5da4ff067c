/**
 * instrumentModule: rewrites a plugin at load time so that its CPU time and memory can be
 * enforced from outside, the way wasmtime's epoch interruption does it, but with plain Wasm:
 *
 * - a new shared one-page memory (the *interrupt memory*, exported as `__wasmgate_interrupt`) is
 *   appended after every existing memory, so memory 0 keeps its index;
 * - with `interrupt`, every `loop` and the entry of every function that could otherwise call its
 *   way around the checks start with `i32.const 0; i32.atomic.load8_u <interrupt memory>; if
 *   unreachable end`. Another thread stores 1 there and the guest traps at its next loop iteration
 *   or call; the thread lives on;
 * - with `maxMemoryPages`, memory 0's maximum is lowered to the cap and every `memory.grow` on it
 *   goes through an appended `$wg_grow`, which flags a refused grow in the interrupt memory so
 *   the VM can tell "out of memory under the cap" apart from any other trap.
 *
 * Only function bodies change size; nothing else in a module holds code offsets except custom
 * sections, of which the `name` section (indices only) is kept and DWARF (`.debug_*`) and code
 * metadata (`metadata.code.*`, e.g. branch hints) are dropped: their offsets would point into the
 * wrong instructions. Appended functions, types and memories take the next free index, so no
 * existing index moves.
 */
import { WasmgateError } from '../errors.js';
import { changes, entryChecks, newSize, scanBody, writeBody, type BodyPlan, type BodyScan } from './body.js';
import { ByteReader, ByteWriter, DecodeError, u32Bytes } from './bytes.js';
import { INTERRUPT_EXPORT, pagesToMiB } from './flags.js';
import {
  SEC, appendEntries, customName, findI32ToI32, hasExport, insertionIndex, readCount, readFirstMemory, readImports, splitSections, writeSection,
  type Section,
} from './sections.js';

export { INTERRUPT_EXPORT } from './flags.js';

export interface InstrumentOptions {
  /** Add the interrupt check at function entries and loop heads. */
  readonly interrupt?: boolean;
  /** Cap the module's own linear memory at this many 64 KiB pages (memory.grow past it returns -1). */
  readonly maxMemoryPages?: number;
}

/** The largest memory32 (4 GiB). */
const MAX_PAGES = 65536;

/**
 * Returns the rewritten module, or `bytes` itself when no option is set. Throws
 * WG_PLUGIN_INSTRUMENT (an instruction or section it cannot decode), WG_PLUGIN_MEMORY_LIMIT (the
 * initial memory is above the cap) or WG_PLUGIN_MEMORY_UNSUPPORTED (memory 0 cannot be capped).
 */
export function instrumentModule(bytes: Uint8Array, opts: InstrumentOptions, label = 'the plugin'): Uint8Array {
  const interrupt = opts.interrupt === true;
  const cap = opts.maxMemoryPages;
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 1 || cap > MAX_PAGES)) {
    throw new RangeError(`maxMemoryPages must be an integer from 1 to ${MAX_PAGES}, not ${cap}`);
  }
  if (!interrupt && cap === undefined) return bytes;
  try {
    return rewrite(bytes, interrupt, cap, label);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    const where = e.message.includes('byte offset') ? '' : ` (byte offset ${e.offset})`;
    throw new WasmgateError('WG_PLUGIN_INSTRUMENT', `${label} cannot be instrumented: ${e.message}${where}`, { cause: e });
  }
}

/**
 * `i32.const 0; i32.atomic.load8_u (memory mem) offset=0; if; unreachable; end`. An 8-bit load of
 * the flag's low byte rather than `i32.atomic.load`: V8 checks a 32-bit atomic access's alignment
 * at run time (the base of a memory other than memory 0 is not known to be aligned), and that check
 * at every function entry cost 5–10 % of a Go callback against 1–2 % for the byte load
 * (bench/lib/instrument.mjs). The flag is still written as an i32 (`Atomics.store(flags, 0, 1)`).
 * The flags byte 0x40 says "memory index follows" (multi-memory); alignment 0 is natural for 8 bits.
 */
function checkSequence(mem: number): Uint8Array {
  return new ByteWriter(16).bytes([0x41, 0x00, 0xfe, 0x12, 0x40]).u32(mem).bytes([0x00, 0x04, 0x40, 0x00, 0x0b]).finish();
}

/**
 * `$wg_grow (param i32) (result i32)`: memory.grow 0, and when that returns -1, an atomic store
 * of 1 at byte 4 of the interrupt memory before returning -1.
 */
function growBody(mem: number): Uint8Array {
  const body = new ByteWriter(32)
    .bytes([0x00, 0x20, 0x00, 0x40, 0x00, 0x22, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40])
    .bytes([0x41, 0x00, 0x41, 0x01, 0xfe, 0x17, 0x42]).u32(mem).byte(0x04)
    .bytes([0x0b, 0x20, 0x00, 0x0b])
    .finish();
  return new ByteWriter(body.length + 4).u32(body.length).bytes(body).finish();
}

function memoryError(code: 'WG_PLUGIN_MEMORY_LIMIT' | 'WG_PLUGIN_MEMORY_UNSUPPORTED', message: string, hint?: string): WasmgateError {
  return new WasmgateError(code, message, hint === undefined ? {} : { hint });
}

/** Memory 0's limits with the cap applied, checked; undefined when the module defines no memory. */
function cappedMemory(bytes: Uint8Array, memSec: Section | undefined, memory0Imported: boolean, cap: number, label: string) {
  const capMiB = pagesToMiB(cap);
  if (memory0Imported) {
    throw memoryError('WG_PLUGIN_MEMORY_UNSUPPORTED', `${label} imports its memory 0 instead of defining it, so wasmgate cannot cap it at ${capMiB} MiB (wasmgate.limits.maxMemoryMiB)`);
  }
  if (!memSec || readCount(bytes, memSec) === 0) return undefined;
  const m = readFirstMemory(bytes, memSec);
  if (m.limits.flags & 0x04) throw memoryError('WG_PLUGIN_MEMORY_UNSUPPORTED', `${label} uses a 64-bit memory (memory64), which wasmgate cannot cap (wasmgate.limits.maxMemoryMiB)`);
  if (m.limits.flags & 0x08) throw memoryError('WG_PLUGIN_MEMORY_UNSUPPORTED', `${label} declares a custom page size for its memory, which wasmgate cannot cap (wasmgate.limits.maxMemoryMiB)`);
  if (m.limits.min > cap) {
    throw memoryError(
      'WG_PLUGIN_MEMORY_LIMIT',
      `${label} needs ${pagesToMiB(m.limits.min)} MiB of linear memory at start, but wasmgate.limits.maxMemoryMiB is ${capMiB} MiB`,
      `Raise wasmgate.limits.maxMemoryMiB on this WasmPlugin to at least ${Math.ceil(m.limits.min / 16)}, or rebuild the plugin with a smaller initial memory.`,
    );
  }
  const max = m.limits.max === undefined ? cap : Math.min(m.limits.max, cap);
  // Keep the shared bit (a shared memory must have a maximum, which it now always has).
  const limits = new ByteWriter(12).u32((m.limits.flags & 0x02) | 0x01).u32(m.limits.min).u32(max).finish();
  return { start: m.start, end: m.end, limits };
}

interface Item {
  readonly id: number;
  readonly orig?: Section;
  body?: Uint8Array;
}

function rewrite(bytes: Uint8Array, interrupt: boolean, cap: number | undefined, label: string): Uint8Array {
  const sections = splitSections(bytes);
  const find = (id: number) => sections.find((s) => s.id === id);
  if (hasExport(bytes, find(SEC.export), INTERRUPT_EXPORT)) {
    throw new WasmgateError('WG_PLUGIN_INSTRUMENT', `${label} already exports ${INTERRUPT_EXPORT}: it was instrumented before, or the name clashes`);
  }
  const imports = readImports(bytes, find(SEC.import));
  const memSec = find(SEC.memory);
  const definedMemories = readCount(bytes, memSec);
  const capped = cap === undefined ? undefined : cappedMemory(bytes, memSec, imports.memory0Imported, cap, label);
  const interruptMemory = imports.memories + definedMemories;
  const funcSec = find(SEC.function);
  const codeSec = find(SEC.code);
  const definedFuncs = readCount(bytes, funcSec);

  // Decode every body first: whether $wg_grow is needed is known only afterwards.
  const bodies: { start: number; end: number; scan: BodyScan }[] = [];
  if (codeSec) {
    const r = new ByteReader(bytes, codeSec.bodyStart, codeSec.end);
    const n = r.u32();
    if (n !== definedFuncs) throw new DecodeError(`the code section has ${n} bodies for ${definedFuncs} functions`, codeSec.start);
    for (let i = 0; i < n; i++) {
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      bodies.push({ start, end: start + size, scan: scanBody(bytes, start, start + size, imports.funcs + i) });
    }
    if (r.pos !== codeSec.end) throw new DecodeError('the code section has bytes after its last body', r.pos);
  } else if (definedFuncs > 0) {
    throw new DecodeError(`${definedFuncs} functions are declared but there is no code section`, funcSec!.start);
  }
  const needGrow = cap !== undefined && bodies.some((b) => b.scan.grows.length > 0);
  const growIndex = imports.funcs + definedFuncs;
  const check = checkSequence(interruptMemory);
  const growCall = needGrow ? new ByteWriter(8).byte(0x10).u32(growIndex).finish() : undefined;

  const entry = interrupt ? entryChecks(bodies.map((b) => b.scan), imports.funcs) : [];
  const plans = bodies.map((b, i): BodyPlan => ({ entryCheck: entry[i] === true, loopChecks: interrupt, growCall, check }));
  const sizes = bodies.map((b, i) => newSize(b.start, b.end, b.scan, plans[i]!));
  const code = new ByteWriter(sizes.reduce((n, s) => n + s + 5, 64));
  code.u32(bodies.length + (needGrow ? 1 : 0));
  let codeChanged = false;
  for (const [i, b] of bodies.entries()) {
    const plan = plans[i]!;
    if (!changes(b.scan, plan)) {
      code.u32(b.end - b.start).bytes(bytes.subarray(b.start, b.end));
      continue;
    }
    codeChanged = true;
    code.u32(sizes[i]!);
    writeBody(code, bytes, b.start, b.end, b.scan, plan);
  }
  if (needGrow) code.bytes(growBody(interruptMemory));

  const items: Item[] = [];
  for (const s of sections) {
    if (s.id === SEC.custom && codeChanged) {
      const name = customName(bytes, s);
      if (name.startsWith('.debug_') || name.startsWith('metadata.code.')) continue;
    }
    items.push({ id: s.id, orig: s });
  }
  const put = (id: number, body: Uint8Array) => {
    const it = items.find((x) => x.id === id);
    if (it) it.body = body;
    else items.splice(insertionIndex(items, id), 0, { id, body });
  };
  if (needGrow) {
    const types = findI32ToI32(bytes, find(SEC.type));
    let typeIndex = types.index;
    if (typeIndex === undefined) {
      put(SEC.type, appendEntries(bytes, find(SEC.type), 1, Uint8Array.of(0x60, 0x01, 0x7f, 0x01, 0x7f)));
      typeIndex = types.count;
    }
    put(SEC.function, appendEntries(bytes, funcSec, 1, u32Bytes(typeIndex)));
  }
  put(SEC.memory, memoryBody(bytes, memSec, definedMemories, capped));
  const exportEntry = new ByteWriter(32).name(INTERRUPT_EXPORT).byte(0x02).u32(interruptMemory).finish();
  put(SEC.export, appendEntries(bytes, find(SEC.export), 1, exportEntry));
  put(SEC.code, code.view());

  // Sized exactly, so the module is written once and not copied again.
  const sizeOf = (it: Item) => (it.body ? 1 + u32Bytes(it.body.length).length + it.body.length : it.orig!.end - it.orig!.start);
  const out = new ByteWriter(items.reduce((n, it) => n + sizeOf(it), 8));
  out.bytes(bytes.subarray(0, 8));
  for (const it of items) {
    if (it.body) writeSection(out, it.id, it.body);
    else out.bytes(bytes.subarray(it.orig!.start, it.orig!.end));
  }
  return out.finish();
}

/** The memory section with memory 0's limits capped and the interrupt memory `(memory 1 1 shared)` appended. */
function memoryBody(bytes: Uint8Array, memSec: Section | undefined, defined: number, capped: ReturnType<typeof cappedMemory>): Uint8Array {
  const w = new ByteWriter((memSec ? memSec.end - memSec.bodyStart : 0) + 16);
  w.u32(defined + 1);
  if (memSec) {
    const r = new ByteReader(bytes, memSec.bodyStart, memSec.end);
    r.u32();
    if (capped) w.bytes(bytes.subarray(r.pos, capped.start)).bytes(capped.limits).bytes(bytes.subarray(capped.end, memSec.end));
    else w.bytes(bytes.subarray(r.pos, memSec.end));
  }
  return w.bytes([0x03, 0x01, 0x01]).finish();
}
