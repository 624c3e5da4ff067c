/**
 * AssemblyScript (and some hand-written modules) run top-level code in the Wasm *start section*,
 * during instantiation — before the host can see the module's exported memory, so hostcalls made
 * there could not read their arguments. We lift the start section out: the start function becomes
 * an ordinary export (`__wasmgate_start`) that the VM calls right after instantiation, with memory
 * in hand. Semantics are unchanged: it still runs once, before any other export.
 */

import { u32Bytes } from '../instrument/bytes.js';

export const LIFTED_START_EXPORT = '__wasmgate_start';

function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('truncated LEB128');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

const leb = (value: number): Uint8Array => u32Bytes(value);

/** Returns the module bytes with the start section turned into an export, or the input unchanged. */
export function liftStartSection(bytes: Uint8Array): Uint8Array {
  const sections: { id: number; start: number; end: number; bodyStart: number }[] = [];
  let pos = 8;
  try {
    while (pos < bytes.length) {
      const id = bytes[pos]!;
      const [size, bodyStart] = readLeb(bytes, pos + 1);
      sections.push({ id, start: pos, end: bodyStart + size, bodyStart });
      pos = bodyStart + size;
    }
  } catch {
    return bytes; // let the compiler report the malformed module
  }
  const startSec = sections.find((s) => s.id === 8);
  if (!startSec) return bytes;
  const [funcIdx] = readLeb(bytes, startSec.bodyStart);
  const name = new TextEncoder().encode(LIFTED_START_EXPORT);
  const entry = [...leb(name.length), ...name, 0x00, ...leb(funcIdx)];
  const exportSec = sections.find((s) => s.id === 7);
  let newExport: number[];
  if (exportSec) {
    const [count, after] = readLeb(bytes, exportSec.bodyStart);
    const body = [...leb(count + 1), ...bytes.subarray(after, exportSec.end), ...entry];
    newExport = [7, ...leb(body.length), ...body];
  } else {
    const body = [...leb(1), ...entry];
    newExport = [7, ...leb(body.length), ...body];
  }
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    if (s === exportSec) continue;
    // The start section sits right after the export section, so the new export goes in its place.
    if (s === startSec) parts.push(Uint8Array.from(newExport));
    else parts.push(bytes.subarray(s.start, s.end));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
