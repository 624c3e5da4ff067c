/**
 * A deliberately tiny WASI preview1, as Envoy implements it: no filesystem, no sockets, no
 * arguments. fd 1/2 writes become plugin log lines (info/error), line-buffered so a Go panic that
 * arrives in fragments is logged as lines. Everything else answers a proper errno.
 *
 * Errno values: 0 SUCCESS, 8 BADF, 20 NOTDIR, 21 FAULT, 28 INVAL, 44 NOENT, 52 NOSYS, 58 NOTSUP.
 */
import { LogLevel } from '../abi/constants.js';
import { utf8Decode, utf8Encode } from '../abi/utf8.js';
import type { VmScope } from '../context/scope.js';
import { GuestUnwind } from '../memory.js';

export const Errno = { SUCCESS: 0, BADF: 8, NOTDIR: 20, FAULT: 21, INVAL: 28, NOENT: 44, NOSYS: 52, NOTSUP: 58 } as const;

const MAX_RANDOM = 64 * 1024;

/** Per-VM WASI state: the partial lines written to fd 1 and 2. */
export class WasiState {
  readonly #partial = new Map<number, string>();

  /** Appends text written to fd 1/2 and logs each complete line. */
  write(vm: VmScope, fd: 1 | 2, text: string): void {
    const buf = (this.#partial.get(fd) ?? '') + text;
    const lines = buf.split('\n');
    const rest = lines.pop() ?? '';
    for (const line of lines) vm.log(fd === 1 ? LogLevel.info : LogLevel.error, line, fd === 1 ? 'stdout' : 'stderr');
    this.#partial.set(fd, rest);
  }

  /** Logs what is left without a newline (on VM failure, so no panic text is lost). */
  flush(vm: VmScope): void {
    for (const [fd, rest] of this.#partial) {
      if (rest) vm.log(fd === 1 ? LogLevel.info : LogLevel.error, rest, fd === 1 ? 'stdout' : 'stderr');
    }
    this.#partial.clear();
  }
}

/** Writes a (u32 count, u32 total size) pair, answering FAULT when out of bounds. */
function sizes(vm: VmScope, countOut: number, sizeOut: number, count: number, size: number): number {
  if (!vm.memory.inBounds(countOut >>> 0, 4) || !vm.memory.inBounds(sizeOut >>> 0, 4)) return Errno.FAULT;
  vm.memory.writeU32(countOut, count);
  vm.memory.writeU32(sizeOut, size);
  return Errno.SUCCESS;
}

export function argsSizesGet(vm: VmScope, countOut: number, sizeOut: number): number {
  return sizes(vm, countOut, sizeOut, 0, 0);
}

export function argsGet(): number {
  return Errno.SUCCESS;
}

/** environ_sizes_get: the plugin's configured environment (WasmPlugin vmConfig.env). */
export function environSizesGet(vm: VmScope, countOut: number, sizeOut: number): number {
  let size = 0;
  for (const e of vm.env) size += utf8Encode(e).length + 1;
  return sizes(vm, countOut, sizeOut, vm.env.length, size);
}

/** environ_get(ptrs, buf): `KEY=VALUE\0` strings and a pointer to each. */
export function environGet(vm: VmScope, ptrs: number, buf: number): number {
  let p = ptrs >>> 0;
  let b = buf >>> 0;
  for (const e of vm.env) {
    const bytes = utf8Encode(`${e}\0`);
    if (!vm.memory.writeU32(p, b) || !vm.memory.write(b, bytes)) return Errno.FAULT;
    p += 4;
    b += bytes.length;
  }
  return Errno.SUCCESS;
}

export function clockResGet(vm: VmScope, id: number, out: number): number {
  if (id >>> 0 > 3) return Errno.INVAL;
  return vm.memory.writeU64(out, 1n) ? Errno.SUCCESS : Errno.FAULT;
}

/** clock_time_get(id, precision, out): 0 realtime, 1 monotonic (ns); any other clock ⇒ NOTSUP (Envoy). */
export function clockTimeGet(vm: VmScope, id: number, _precision: bigint, out: number): number {
  id >>>= 0;
  let t: bigint;
  if (id === 0) t = vm.ports.nowNanos();
  else if (id === 1) t = vm.ports.monotonicNanos();
  else return Errno.NOTSUP;
  return vm.memory.writeU64(out, t) ? Errno.SUCCESS : Errno.FAULT;
}

export function randomGet(vm: VmScope, ptr: number, len: number): number {
  len >>>= 0;
  if (len > MAX_RANDOM) return Errno.INVAL;
  if (len === 0) return Errno.SUCCESS; // nothing to write, whatever the pointer (cpp-host)
  const view = vm.memory.view(ptr, len);
  if (!view) return Errno.FAULT;
  const bytes = new Uint8Array(len);
  vm.ports.randomBytes(bytes);
  vm.memory.write(ptr, bytes);
  return Errno.SUCCESS;
}

/** fd_write(fd, iovs, iovs_len, nwritten_out): fd 1 → info log, fd 2 → error log, others BADF. */
export function fdWrite(vm: VmScope, wasi: WasiState, fd: number, iovs: number, count: number, nwrittenOut: number): number {
  fd >>>= 0;
  if (fd !== 1 && fd !== 2) return Errno.BADF;
  const parts: string[] = [];
  let total = 0;
  for (let i = 0; i < count >>> 0; i++) {
    const ptr = vm.memory.readU32((iovs >>> 0) + i * 8);
    const len = vm.memory.readU32((iovs >>> 0) + i * 8 + 4);
    if (ptr === undefined || len === undefined) return Errno.FAULT;
    if (len === 0) continue; // an empty iovec's pointer is never read (cpp-host)
    const bytes = vm.memory.view(ptr, len);
    if (!bytes) return Errno.FAULT;
    parts.push(utf8Decode(bytes));
    total += len;
  }
  if (!vm.memory.writeU32(nwrittenOut, total)) return Errno.FAULT;
  wasi.write(vm, fd, parts.join(''));
  return Errno.SUCCESS;
}

/** fd_fdstat_get(fd, out): a 24-byte fdstat for stdout/stderr (character device); others BADF. */
export function fdFdstatGet(vm: VmScope, fd: number, out: number): number {
  fd >>>= 0;
  if (fd !== 1 && fd !== 2) return Errno.BADF;
  const stat = new Uint8Array(24);
  stat[0] = 2; // filetype: character_device
  new DataView(stat.buffer).setBigUint64(8, 64n, true); // rights_base: fd_write
  return vm.memory.write(out, stat) ? Errno.SUCCESS : Errno.FAULT;
}

/** poll_oneoff: nothing to wait for in a sandbox; report 0 events at once (Go needs success). */
export function pollOneoff(vm: VmScope, _in: number, _out: number, _n: number, neventsOut: number): number {
  return vm.memory.writeU32(neventsOut, 0) ? Errno.SUCCESS : Errno.FAULT;
}

/**
 * fd_seek(fd, offset, whence, newoffset_out): nothing has a position; Envoy answers success for any
 * fd. The new offset (0) is written for stdio only, where a caller may read it.
 */
export function fdSeek(vm: VmScope, fd: number, _off: bigint, _whence: number, out: number): number {
  if (fd >>> 0 > 2) return Errno.SUCCESS;
  return vm.memory.writeU64(out, 0n) ? Errno.SUCCESS : Errno.FAULT;
}

/** fd_tell(fd, offset_out): like fd_seek, offset 0. */
export function fdTell(vm: VmScope, fd: number, out: number): number {
  return fdSeek(vm, fd, 0n, 0, out);
}

/** fd_close(fd): there is nothing to close; Envoy answers success for any fd. */
export function fdClose(): number {
  return Errno.SUCCESS;
}

/** Calls that succeed for stdio and answer BADF for anything else (close, sync, advise …). */
export function stdioOnly(fd: number): number {
  return fd >>> 0 <= 2 ? Errno.SUCCESS : Errno.BADF;
}

/** proc_exit(code): unwinds the guest; the VM decides whether that was a normal end. */
export function procExit(_vm: VmScope, code: number): never {
  throw new GuestUnwind(`proc_exit(${code >>> 0})`, 'exit', code >>> 0);
}
