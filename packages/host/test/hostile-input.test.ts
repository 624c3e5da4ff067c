/**
 * Hostile input for every host function: out-of-bounds pointers (0xfffffff0, the memory size, a
 * range straddling the end, one that wraps in 32 bits), lengths that overflow memory (0x7fffffff,
 * 0x80000000, 0xffffffff), out-of-bounds out-slots and out-of-range enums (map 8+, buffer 10+,
 * stream 4+, metric 3+, log level 6+), each through a real module. Every case asserts the exact
 * status, that no JavaScript exception escaped (no throw, no "host error" log, no InternalFailure),
 * that the VM stays healthy and that nothing was written to low memory no out-slot points at.
 *
 * The cases are generated from HOSTCALLS: a host function in the table without a case fails the
 * coverage tests at the top, so a new hostcall cannot land without hostile-input coverage.
 *
 * Checklist rows: every hostcall row's error contract (§4 "Rules": bad memory ⇒ 6, enum out of
 * range ⇒ 2), the WASI rows (errno contract, both namespaces), the toolchain-extras row
 * (abort/trace/seed, emscripten_notify_memory_growth), "stubs must".
 */
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOSTCALLS, PluginVm, WasmResult, WasmgateError } from '@wasmgate/host';
import { fixturePath } from './helpers/fixtures.js';
import { forEachHostileCase, HOSTCALL_SPECS, OOB, type Arg } from './helpers/hostcall-specs.js';
import { HostcallProxy, type Context } from './helpers/proxy.js';
import { TestPorts } from './helpers/ports.js';
import { ENV_EXTRA_SIGS, envExtrasModule, WASI_SIGS, wasiModule } from './helpers/toolchain-modules.js';

const ENV = HOSTCALLS.filter((h) => h.module === 'env').map((h) => h.name);
const WASI = HOSTCALLS.filter((h) => h.module === 'wasi').map((h) => h.name);
const PROXY_WAT = readFileSync(fixturePath('fixtures/wat/hostcall-proxy.wat'), 'utf8');

/** Parameter count of `call_<short>` in hostcall-proxy.wat. */
function trampolineArity(short: string): number | undefined {
  const m = new RegExp(`\\(func \\(export "call_${short}"\\)((?: \\(param[^)]*\\))?)`).exec(PROXY_WAT);
  if (!m) return undefined;
  return m[1] ? m[1].replace(/\(param|\)/g, '').trim().split(/\s+/).filter(Boolean).length : 0;
}

function lowMemoryClean(vm: PluginVm, upTo: number): boolean {
  const b = vm.memory.view(0, upTo);
  return b !== undefined && b.every((x) => x === 0);
}

describe('coverage: every host function in HOSTCALLS has hostile-input cases', () => {
  test('each env hostcall has a case table (hostcall-proxy) or a toolchain-extras signature', () => {
    const missing = ENV.filter((n) => !HOSTCALL_SPECS[n] && !ENV_EXTRA_SIGS[n]);
    assert.deepEqual(missing, [], 'add these to test/helpers/hostcall-specs.ts (and fixtures/wat/hostcall-proxy.wat)');
  });
  test('each case table names a real env hostcall (no stale entries)', () => {
    assert.deepEqual(Object.keys(HOSTCALL_SPECS).filter((n) => !ENV.includes(n)), []);
    assert.deepEqual(Object.keys(ENV_EXTRA_SIGS).filter((n) => !ENV.includes(n)), []);
  });
  test('hostcall-proxy has a trampoline of the declared arity for each table entry', () => {
    for (const [name, spec] of Object.entries(HOSTCALL_SPECS)) {
      assert.equal(trampolineArity(name.replace(/^proxy_/, '')), spec.params.length, `call_${name.replace(/^proxy_/, '')}`);
    }
  });
  test('each WASI function has a signature and a case row', () => {
    assert.deepEqual(WASI.filter((n) => !WASI_SIGS[n] || !WASI_CASES[n]), [], 'add to helpers/toolchain-modules.ts and WASI_CASES');
  });
  test('every env hostcall gets at least one generated or hand-written hostile case', async () => {
    const h = await HostcallProxy.create();
    for (const name of Object.keys(HOSTCALL_SPECS)) assert.ok(forEachHostileCase(h, name, () => undefined) > 0, name);
  });
});

function runCase(h: HostcallProxy, name: string, label: string, ctx: Context, args: Arg[], expect: number): void {
  const short = name.replace(/^proxy_/, '');
  let r: number | undefined;
  assert.doesNotThrow(() => {
    r = h.call(short, args, ctx);
  }, `${name} ${label}: threw`);
  assert.equal(r, expect, `${name} ${label}: args ${args.map((a) => (typeof a === 'bigint' ? `${a}n` : `0x${(a >>> 0).toString(16)}`)).join(', ')}`);
  assert.ok(r! >= 0 && r! <= 12, `${name} ${label}: ${r} is not a WasmResult`);
  assert.equal(h.vm.failure, undefined, `${name} ${label}: VM failed`);
  assert.deepEqual(h.ports.hostBugs(), [], `${name} ${label}: host exception`);
  assert.ok(lowMemoryClean(h.vm, 0x100), `${name} ${label}: wrote into 0..0x100`);
}

describe('env hostcalls through hostcall-proxy', () => {
  for (const name of Object.keys(HOSTCALL_SPECS)) {
    test(name, async () => {
      const h = await HostcallProxy.create();
      h.ports.knownClusters.add('cluster-a').add('redis');
      // The baseline is valid (so the mutations below are what fails).
      h.scratch.reset();
      const base = HOSTCALL_SPECS[name]!.base(h);
      runCase(h, name, 'baseline', base.ctx, base.args, base.expect);
      forEachHostileCase(h, name, (c) => runCase(h, name, c.label, c.ctx, c.args, c.expect));
      // And still usable afterwards.
      h.scratch.reset();
      const again = HOSTCALL_SPECS[name]!.base(h);
      runCase(h, name, 'baseline again', again.ctx, again.args, again.expect);
      assert.equal(h.call('log', [2, ...h.scratch.put('still alive')]), WasmResult.Ok);
    });
  }
});

describe('toolchain extras in env (AssemblyScript, Emscripten)', () => {
  async function extras(): Promise<{ vm: PluginVm; ports: TestPorts; ctx: Context }> {
    const ports = new TestPorts();
    const vm = await PluginVm.create(await envExtrasModule(), { name: 'extras', ports });
    return { vm, ports, ctx: vm.contextById(0)! };
  }

  test('abort with hostile pointers fails the VM with a readable WG_VM_ABORT, no host exception', async () => {
    for (const [msg, file] of [[OOB, OOB], [0, 2], [0xffff, 0x10000], [0x7fffffff, 0xffffffff]] as const) {
      const { vm, ports, ctx } = await extras();
      let err: unknown;
      try {
        vm.call(ctx, 'call_abort', [msg, file, 0xffffffff, 0x80000000]);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof WasmgateError, 'abort unwinds as a WasmgateError');
      assert.equal(err.code, 'WG_VM_ABORT');
      assert.match(err.message, /abort: \(no message\) at \?:4294967295:2147483648/);
      assert.equal(vm.state, 'failed');
      assert.deepEqual(ports.hostBugs(), []);
    }
  });

  test('abort with a length field claiming 4 GiB reads nothing', async () => {
    const { vm, ctx } = await extras();
    vm.memory.write(0x1000, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    assert.throws(() => vm.call(ctx, 'call_abort', [0x1004, 0x1004, 1, 2]), /abort: \(no message\) at \?:1:2/);
  });

  test('trace with hostile pointers and counts logs and returns; the VM stays healthy', async () => {
    const { vm, ports, ctx } = await extras();
    for (const [msg, n] of [[OOB, 0xffffffff], [0, 0], [3, 5], [0xffff, 0x7fffffff]] as const) {
      assert.doesNotThrow(() => vm.call(ctx, 'call_trace', [msg, n, 1.5, 2, 3, 4, 5]));
    }
    assert.equal(vm.failure, undefined);
    assert.deepEqual(ports.hostBugs(), []);
    assert.ok(ports.messages({ source: 'host' }).some((m) => m === 'trace:  1.5, 2, 3, 4, 5'), ports.messages().join('\n'));
  });

  test('seed, emscripten_notify_memory_growth and pthread_equal accept any argument', async () => {
    const { vm, ports, ctx } = await extras();
    const s = vm.call(ctx, 'call_seed', [])!;
    assert.ok(Number.isFinite(s) && s >= 0);
    for (const v of [0, 1, OOB, 0xffffffff]) assert.equal(vm.call(ctx, 'call_emscripten_notify_memory_growth', [v]), 0);
    assert.equal(vm.call(ctx, 'call_pthread_equal', [0xffffffff, -1]), 1);
    assert.equal(vm.call(ctx, 'call_pthread_equal', [1, 2]), 0);
    assert.equal(vm.failure, undefined);
    assert.deepEqual(ports.hostBugs(), []);
  });
});

// ---- WASI -------------------------------------------------------------------------------------
// kinds: one char per parameter, 'p' = pointer or out-slot (moved to 0xfffffff0 ⇒ `fault`), '.' = other.
interface WasiCase {
  readonly kinds: string;
  readonly base: (s: Slots) => Arg[];
  readonly ok: number;
  /** errno for any pointer out of bounds (defaults to `ok` for stubs that read nothing). */
  readonly fault?: number;
  readonly extra?: (s: Slots) => [label: string, args: Arg[], errno: number][];
}
interface Slots {
  a: number;
  b: number;
  c: number;
  iov: number;
  badIov: number;
  emptyIov: number;
}
const FAULT = 21;
const W = (kinds: string, base: WasiCase['base'], ok: number, fault?: number, extra?: WasiCase['extra']): WasiCase =>
  ({ kinds, base, ok, ...(fault === undefined ? {} : { fault }), ...(extra ? { extra } : {}) });
const stub = (kinds: string, errno: number): WasiCase => W(kinds, () => [...kinds].map((k, i) => (k === 'p' ? 0x1000 + i * 8 : 3)), errno);

const WASI_CASES: Record<string, WasiCase> = {
  args_get: W('pp', (s) => [s.a, s.b], 0, 0),
  args_sizes_get: W('pp', (s) => [s.a, s.b], 0, FAULT),
  environ_get: W('pp', (s) => [s.a, s.b], 0, FAULT),
  environ_sizes_get: W('pp', (s) => [s.a, s.b], 0, FAULT),
  clock_res_get: W('.p', (s) => [0, s.a], 0, FAULT, (s) => [['unknown clock', [0xffffffff, s.a], 28]]),
  clock_time_get: W('..p', (s) => [0, 1n, s.a], 0, FAULT, (s) => [
    ['process CPU clock', [2, 1n, s.a], 58], ['thread CPU clock', [3, 1n, s.a], 58], ['clock 0xffffffff', [0xffffffff, -1n, s.a], 58],
  ]),
  random_get: W('p.', (s) => [s.a, 16], 0, FAULT, (s) => [
    ['65537 bytes', [s.a, 65537], 28], ['len 0xffffffff', [s.a, 0xffffffff], 28], ['0 bytes at 0xfffffff0', [OOB, 0], 0],
  ]),
  fd_write: W('.p.p', (s) => [1, s.iov, 1, s.a], 0, FAULT, (s) => [
    ['fd 7', [7, s.iov, 1, s.a], 8], ['iovec buffer out of bounds', [1, s.badIov, 1, s.a], FAULT], ['iovec count 0xffffffff', [1, s.iov, 0xffffffff, s.a], FAULT],
    ['empty iovec pointing out of bounds', [1, s.emptyIov, 1, s.a], 0],
  ]),
  fd_pwrite: W('.p..p', (s) => [1, s.iov, 1, 0n, s.a], 0, FAULT, (s) => [['fd 0xffffffff', [0xffffffff, s.iov, 1, 0n, s.a], 8]]),
  fd_fdstat_get: W('.p', (s) => [1, s.c], 0, FAULT, (s) => [['fd 0', [0, s.c], 8], ['fd 0xffffffff', [0xffffffff, s.c], 8]]),
  poll_oneoff: W('...p', (s) => [s.a, s.b, 1, s.c], 0, FAULT),
  sched_yield: W('', () => [], 0),
  fd_seek: W('...p', (s) => [1, 0n, 0, s.a], 0, FAULT, (s) => [['fd 9', [9, -1n, 0xffffffff, s.a], 0]]),
  fd_close: W('.', () => [1], 0, undefined, () => [['fd 9', [9], 0], ['fd 0xffffffff', [0xffffffff], 0]]),
  fd_sync: W('.', () => [1], 0, undefined, () => [['fd 9', [9], 8]]),
  fd_datasync: W('.', () => [2], 0, undefined, () => [['fd 9', [9], 8]]),
  fd_advise: W('....', () => [1, 0n, 0n, 0], 0, undefined, () => [['fd 9', [9, -1n, -1n, 0xffffffff], 8]]),
  fd_allocate: W('...', () => [1, 0n, 0n], 0, undefined, () => [['fd 9', [9, -1n, -1n], 8]]),
  fd_tell: W('.p', (s) => [1, s.a], 0, FAULT, (s) => [['fd 9', [9, s.a], 0]]),
  fd_prestat_get: W('.p', (s) => [3, s.a], 8),
  fd_prestat_dir_name: stub('.p.', 52),
  fd_fdstat_set_flags: stub('..', 52),
  fd_fdstat_set_rights: W('...', () => [1, 0n, 0n], 52),
  fd_filestat_get: stub('.p', 8),
  fd_filestat_set_size: W('..', () => [1, 0n], 8),
  fd_filestat_set_times: W('....', () => [1, 0n, 0n, 0], 8),
  fd_read: stub('.p.p', 52),
  fd_pread: W('.p..p', (s) => [0, s.a, 1, 0n, s.b], 52),
  fd_readdir: W('.p..p', (s) => [3, s.a, 8, 0n, s.b], 20),
  fd_renumber: stub('..', 8),
  path_open: W('..p.....p', (s) => [3, 0, s.a, 4, 0, 0n, 0n, 0, s.b], 44),
  path_filestat_get: stub('..p.p', 58),
  path_filestat_set_times: W('..p....', (s) => [3, 0, s.a, 4, 0n, 0n, 0], 58),
  path_create_directory: stub('.p.', 58),
  path_link: stub('..p..p.', 58),
  path_readlink: stub('.p.p.p', 58),
  path_remove_directory: stub('.p.', 58),
  path_rename: stub('.p..p.', 58),
  path_symlink: stub('p..p.', 58),
  path_unlink_file: stub('.p.', 58),
  proc_raise: stub('.', 52),
  sock_accept: stub('..p', 58),
  sock_recv: stub('.p..pp', 58),
  sock_send: stub('.p..p', 58),
  sock_shutdown: stub('..', 58),
  proc_exit: W('.', () => [0], 0),
};

describe('WASI preview1 functions (both namespaces)', () => {
  for (const name of WASI) {
    if (name === 'proc_exit') continue;
    test(name, async () => {
      const c = WASI_CASES[name];
      assert.ok(c, `no WASI case row for ${name}`);
      const sig = WASI_SIGS[name]!;
      assert.equal(c.kinds.length, sig.params.length, `${name}: kinds do not match the signature`);
      const ports = new TestPorts();
      const vm = await PluginVm.create(await wasiModule(), { name: 'wasi', ports, env: { A: '1', LONGER: 'value' } });
      const ctx = vm.contextById(0)!;
      const s: Slots = { a: 0x1000, b: 0x1010, c: 0x1020, iov: 0x1100, badIov: 0x1110, emptyIov: 0x1120 };
      vm.memory.write(0x1120, new Uint8Array([0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0])); // iov -> (0xfffffff0, 0)
      vm.memory.write(0x1100, new Uint8Array([0x00, 0x12, 0, 0, 3, 0, 0, 0])); // iov -> (0x1200, 3)
      vm.memory.write(0x1110, new Uint8Array([0xf0, 0xff, 0xff, 0xff, 0x20, 0, 0, 0])); // iov -> (0xfffffff0, 32)
      vm.memory.write(0x1200, new TextEncoder().encode('hi\n'));
      const run = (label: string, args: Arg[], errno: number) => {
        for (const prefix of ['call_', 'call_u_']) {
          let r: number | undefined;
          assert.doesNotThrow(() => {
            r = vm.call(ctx, `${prefix}${name}`, args);
          }, `${prefix}${name} ${label}`);
          assert.equal(r, errno, `${prefix}${name} ${label}`);
          assert.equal(vm.failure, undefined);
          assert.deepEqual(ports.hostBugs(), []);
          assert.ok(lowMemoryClean(vm, 0x1000), `${prefix}${name} ${label}: wrote below 0x1000`);
        }
      };
      run('baseline', c.base(s), c.ok);
      [...c.kinds].forEach((k, i) => {
        if (k !== 'p') return;
        const args = c.base(s);
        args[i] = OOB;
        run(`arg ${i} = 0xfffffff0`, args, c.fault ?? c.ok);
        args[i] = vm.memory.size;
        run(`arg ${i} = memory size`, args, c.fault ?? c.ok);
      });
      for (const [label, args, errno] of c.extra?.(s) ?? []) run(label, args, errno);
    });
  }

  test('proc_exit with any code unwinds as WG_VM_ABORT (no JavaScript exception of another kind)', async () => {
    for (const code of [0, 1, 0xffffffff]) {
      const vm = await PluginVm.create(await wasiModule(), { name: 'wasi', ports: new TestPorts() });
      assert.throws(() => vm.call(vm.contextById(0)!, 'call_proc_exit', [code]), (e: unknown) =>
        e instanceof WasmgateError && e.code === 'WG_VM_ABORT' && e.message.includes(`proc_exit(${code >>> 0})`));
      assert.equal(vm.state, 'failed');
    }
  });

  test('fd_tell writes its 8-byte offset only where asked', async () => {
    const vm = await PluginVm.create(await wasiModule(), { name: 'wasi', ports: new TestPorts() });
    vm.memory.write(0x1000, new Uint8Array(8).fill(0xaa));
    assert.equal(vm.call(vm.contextById(0)!, 'call_fd_tell', [1, 0x1000]), 0);
    assert.deepEqual([...vm.memory.view(0x1000, 8)!], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(lowMemoryClean(vm, 0x1000));
  });
});
