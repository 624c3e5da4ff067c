/**
 * Foreign functions (proxy_call_foreign_function) with the ones Higress code calls built in:
 * get_log_level, set_global_max_requests_per_io_cycle, inject_encoded_data_to_filter_chain_on_header.
 * Embedders add more through HostPorts.foreignFunctions.
 */
import { WasmResult } from '../abi/constants.js';
import type { HttpContext } from '../context/http-context.js';
import type { VmScope } from '../context/scope.js';

type Builtin = (vm: VmScope, args: Uint8Array) => Uint8Array | number;

/** Decodes `InjectEncodedDataToFilterChainArguments{string body = 1; bool endstream = 2}`. */
export function decodeInjectArgs(b: Uint8Array): { body: Uint8Array; endStream: boolean } | undefined {
  let i = 0;
  let body = new Uint8Array(0);
  let endStream = false;
  const varint = (): number | undefined => {
    let v = 0;
    let shift = 0;
    while (i < b.length && shift < 35) {
      const c = b[i++]!;
      v += (c & 0x7f) * 2 ** shift;
      if ((c & 0x80) === 0) return v;
      shift += 7;
    }
    return undefined;
  };
  while (i < b.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (len === undefined || i + len > b.length) return undefined;
      if (field === 1) body = b.slice(i, i + len);
      i += len;
    } else if (wire === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      if (field === 2) endStream = v !== 0;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else return undefined;
  }
  return i === b.length ? { body, endStream } : undefined;
}

const BUILTINS: Record<string, Builtin> = {
  get_log_level(vm) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, vm.ports.logLevel(), true);
    return out;
  },
  set_global_max_requests_per_io_cycle(_vm, args) {
    // Accepted and ignored: Node's event loop has no per-cycle request cap to tune.
    return args.length === 8 || args.length === 0 ? new Uint8Array(0) : WasmResult.BadArgument;
  },
  inject_encoded_data_to_filter_chain_on_header(vm, args) {
    const decoded = decodeInjectArgs(args);
    if (!decoded) return WasmResult.ParseFailure;
    const ctx = vm.acting();
    if (ctx.kind !== 'http') return WasmResult.NotFound;
    const http = ctx as HttpContext;
    if (!http.host.injectOnHeader) return WasmResult.Unimplemented;
    return http.host.injectOnHeader(http, decoded.body, decoded.endStream) ? new Uint8Array(0) : WasmResult.BadArgument;
  },
};

/** Names of the built-in foreign functions (for inspect and docs). */
export const BUILTIN_FOREIGN_FUNCTIONS = Object.keys(BUILTINS);

/**
 * proxy_call_foreign_function(name_ptr, name_size, args_ptr, args_size, result_ptr_out, result_size_out)
 * Unknown name ⇒ NotFound; the result is allocated in the module.
 */
export function proxyCallForeignFunction(vm: VmScope, np: number, nl: number, ap: number, al: number, rpOut: number, rsOut: number): number {
  const name = vm.memory.string(np, nl);
  const args = vm.memory.copy(ap, al);
  if (name === undefined || args === undefined) return WasmResult.InvalidMemoryAccess;
  if (!vm.memory.inBounds(rpOut >>> 0, 4) || !vm.memory.inBounds(rsOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const builtin = BUILTINS[name];
  let result: Uint8Array | number;
  if (builtin && Object.hasOwn(BUILTINS, name)) {
    result = builtin(vm, args);
  } else {
    const fn = vm.ports.foreignFunctions?.get(name);
    if (!fn) return WasmResult.NotFound;
    const ctx = vm.acting();
    const r = fn(args, { plugin: ctx.root?.pluginName ?? '', contextId: ctx.id, effects: {} });
    result = r === 'not_found' ? WasmResult.NotFound : r === 'bad_argument' ? WasmResult.BadArgument : r;
  }
  if (typeof result === 'number') return result;
  return vm.memory.giveBytes(result, rpOut, rsOut);
}
