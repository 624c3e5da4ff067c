/**
 * One function body: decode it instruction by instruction, note where the interrupt checks go and
 * which `memory.grow`s to replace, then write the new body. Bodies are self-contained (branches
 * use label depths, not offsets), so inserting instructions inside one is safe as long as its size
 * prefix is rewritten.
 */
import { ByteReader, type ByteWriter, DecodeError } from './bytes.js';
import { skipBlockType, skipImmediates, skipValType } from './opcodes.js';

export interface BodyScan {
  /** Offset of the first instruction (just after the local declarations). */
  readonly codeStart: number;
  /** Offsets just after each `loop`'s block type: where a loop's check goes. */
  readonly loops: number[];
  /** [start, end) of each `memory.grow` on memory 0, as a flat list of pairs. */
  readonly grows: number[];
  /** The body has a call of any kind (direct, indirect, by reference, tail). */
  readonly calls: boolean;
  /** Function indices of its direct calls (`call`, `return_call`). */
  readonly callees: number[];
  /** It has an indirect call (`call_indirect`, `call_ref` and their tail-call forms). */
  readonly indirect: boolean;
  /**
   * The first loop is entered before any branch, call or other effect: its check then runs at
   * function entry anyway, and a separate entry check would only repeat it (the Go compiler
   * starts nearly every function with `global.get; local.set; block …; loop`).
   */
  readonly loopFirst: boolean;
}

// Instructions that may come before a function's first loop without making its check late:
// they neither branch, call nor trap (block/loop only open labels).
const STRAIGHT = new Set([0x01, 0x02, 0x1a, 0x20, 0x21, 0x22, 0x23, 0x24, 0x41, 0x42, 0x43, 0x44]);

/**
 * Decodes the body in bytes[start, end). `funcIndex` (in the function index space) and byte
 * offsets name the spot in errors.
 */
export function scanBody(bytes: Uint8Array, start: number, end: number, funcIndex: number): BodyScan {
  const r = new ByteReader(bytes, start, end);
  const where = { funcIndex };
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    skipValType(r);
  }
  const codeStart = r.pos;
  const loops: number[] = [];
  const grows: number[] = [];
  const callees: number[] = [];
  let indirect = false;
  let prefix = true; // still in the straight-line start of the body
  let loopFirst = false;
  let depth = 1; // the body is a block that its last `end` closes
  while (depth > 0) {
    const at = r.pos;
    const op = r.byte();
    if (prefix && op !== 0x03 && !STRAIGHT.has(op)) prefix = false;
    switch (op) {
      case 0x02: case 0x04: case 0x06:
        depth++;
        skipBlockType(r);
        break;
      case 0x1f: // try_table opens a block too
        depth++;
        skipImmediates(r, op, at, where);
        break;
      case 0x03:
        depth++;
        skipBlockType(r);
        loops.push(r.pos);
        if (prefix) {
          loopFirst = true;
          prefix = false;
        }
        break;
      case 0x0b:
        depth--;
        break;
      case 0x18: // delegate ends a try like `end` does
        depth--;
        r.u32();
        break;
      case 0x40: {
        const mem = r.u32();
        if (mem === 0) grows.push(at, r.pos);
        break;
      }
      case 0x10: case 0x12: // call, return_call
        callees.push(r.u32());
        break;
      case 0x11: case 0x13: case 0x14: case 0x15: // call_indirect, return_call_indirect, call_ref, return_call_ref
        indirect = true;
        skipImmediates(r, op, at, where);
        break;
      default:
        skipImmediates(r, op, at, where);
    }
  }
  if (r.pos !== end) throw new DecodeError(`function ${funcIndex} ends at byte offset ${r.pos - 1}, before its declared size`, r.pos);
  return { codeStart, loops, grows, calls: indirect || callees.length > 0, callees, indirect, loopFirst };
}

/**
 * Which functions need the check at entry. Loops carry their own check, so unbounded work needs
 * unboundedly many calls, and it is enough that no chain of calls runs far without a check. A
 * function is *safe* to call without checking first when it checks at once itself (its first
 * loop is entered straight away) or calls nothing (its work is bounded, loops aside). A function
 * needs an entry check when it calls anything that is not safe: an indirect call, an import (the
 * host may call back into the guest) or another function that calls and does not check at once.
 * So between two checks run at most one unchecked caller and the bounded callees it calls.
 */
export function entryChecks(scans: readonly BodyScan[], importedFuncs: number): boolean[] {
  const safe = (f: number): boolean => {
    const s = f >= importedFuncs ? scans[f - importedFuncs] : undefined;
    return s !== undefined && (s.loopFirst || !s.calls);
  };
  return scans.map((s) => s.calls && !s.loopFirst && (s.indirect || !s.callees.every(safe)));
}

export interface BodyPlan {
  /** Put a check at function entry. */
  readonly entryCheck: boolean;
  /** Put a check after each loop's block type. */
  readonly loopChecks: boolean;
  /** The instruction that replaces each memory.grow on memory 0 (`call $wg_grow`), or none. */
  readonly growCall: Uint8Array | undefined;
  /** The interrupt check (`i32.const 0; i32.atomic.load8_u; if; unreachable; end`). */
  readonly check: Uint8Array;
}

/** True when the plan changes this body at all. */
export function changes(scan: BodyScan, plan: BodyPlan): boolean {
  return plan.entryCheck || (plan.loopChecks && scan.loops.length > 0) || (plan.growCall !== undefined && scan.grows.length > 0);
}

/** The size of the rewritten body of bytes[start, end), so it can be written without a copy. */
export function newSize(start: number, end: number, scan: BodyScan, plan: BodyPlan): number {
  let n = end - start;
  if (plan.entryCheck) n += plan.check.length;
  if (plan.loopChecks) n += scan.loops.length * plan.check.length;
  if (plan.growCall) for (let g = 0; g < scan.grows.length; g += 2) n += plan.growCall.length - (scan.grows[g + 1]! - scan.grows[g]!);
  return n;
}

/** Writes the rewritten body (without its size prefix) of bytes[start, end). */
export function writeBody(out: ByteWriter, bytes: Uint8Array, start: number, end: number, scan: BodyScan, plan: BodyPlan): void {
  out.bytes(bytes.subarray(start, scan.codeStart));
  if (plan.entryCheck) out.bytes(plan.check);
  let pos = scan.codeStart;
  let l = 0;
  let g = 0;
  const loops = plan.loopChecks ? scan.loops : [];
  const grows = plan.growCall ? scan.grows : [];
  // Loops and grows never overlap; take whichever edit comes first.
  while (l < loops.length || g < grows.length) {
    const loopAt = l < loops.length ? loops[l]! : Infinity;
    const growAt = g < grows.length ? grows[g]! : Infinity;
    if (loopAt < growAt) {
      out.bytes(bytes.subarray(pos, loopAt)).bytes(plan.check);
      pos = loopAt;
      l++;
    } else {
      out.bytes(bytes.subarray(pos, growAt)).bytes(plan.growCall!);
      pos = grows[g + 1]!;
      g += 2;
    }
  }
  out.bytes(bytes.subarray(pos, end));
}
