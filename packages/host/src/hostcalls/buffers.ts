/**
 * Buffer hostcalls (spec: "Buffers"): bodies (0/1), callout answers (4), VM and plugin
 * configuration (6/7), foreign-function arguments (8) and Higress Redis replies (9).
 */
import { BufferType, WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';

/** Read-only bytes of a buffer type, or undefined when that buffer is not available now. */
function readable(vm: VmScope, type: number): Uint8Array | undefined {
  const ctx = vm.acting();
  switch (type) {
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody:
    case BufferType.DownstreamData:
    case BufferType.UpstreamData:
      return ctx.streamBuffer(type)?.buffer.bytes;
    case BufferType.HttpCallResponseBody:
      return vm.calloutAnswer?.body;
    case BufferType.GrpcReceiveBuffer:
      return vm.grpcMessage;
    case BufferType.VmConfiguration:
      return vm.vmConfig;
    case BufferType.PluginConfiguration: {
      const root = ctx.root;
      return root?.configuring ? root.config : undefined;
    }
    case BufferType.CallData:
      return vm.foreignArgs;
    case BufferType.RedisCallResponse:
      return vm.redisAnswer;
    default:
      return undefined;
  }
}

/**
 * proxy_get_buffer_bytes(type, start, max_size, ptr_out, size_out).
 * Unknown type ⇒ BadArgument; unavailable ⇒ NotFound; start + max overflowing u32 ⇒ BadArgument;
 * the range is clamped to the buffer; an empty result is (0, 0).
 */
export function proxyGetBufferBytes(vm: VmScope, type: number, start: number, max: number, ptrOut: number, sizeOut: number): number {
  type >>>= 0;
  start >>>= 0;
  max >>>= 0;
  if (type > BufferType.RedisCallResponse) return WasmResult.BadArgument;
  if (start + max > 0xffffffff) return WasmResult.BadArgument;
  const bytes = readable(vm, type);
  if (bytes === undefined) return WasmResult.NotFound;
  const slice = start >= bytes.length ? new Uint8Array(0) : bytes.subarray(start, Math.min(bytes.length, start + max));
  return vm.memory.giveBytes(slice, ptrOut, sizeOut);
}

/** proxy_get_buffer_status(type, length_out, flags_out): flags carry EndOfStream (1) for bodies. */
export function proxyGetBufferStatus(vm: VmScope, type: number, lenOut: number, flagsOut: number): number {
  type >>>= 0;
  if (type > BufferType.RedisCallResponse) return WasmResult.BadArgument;
  const bytes = readable(vm, type);
  if (bytes === undefined) return WasmResult.NotFound;
  if (!vm.memory.inBounds(lenOut >>> 0, 4) || !vm.memory.inBounds(flagsOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const slot = vm.acting().streamBuffer(type);
  vm.memory.writeU32(lenOut, bytes.length);
  vm.memory.writeU32(flagsOut, slot?.buffer.endOfStream ? 1 : 0);
  return WasmResult.Ok;
}

/**
 * proxy_set_buffer_bytes(type, start, length, data_ptr, data_size): see BodyBuffer.set for the
 * prepend/replace/append rules. Only stream bodies are mutable; others ⇒ BadArgument.
 */
export function proxySetBufferBytes(vm: VmScope, type: number, start: number, length: number, ptr: number, size: number): number {
  type >>>= 0;
  if (type > BufferType.RedisCallResponse) return WasmResult.BadArgument;
  const data = vm.memory.copy(ptr, size);
  if (data === undefined) return WasmResult.InvalidMemoryAccess;
  const slot = vm.acting().streamBuffer(type);
  if (!slot) return readable(vm, type) === undefined ? WasmResult.NotFound : WasmResult.BadArgument;
  if (!slot.writable) return WasmResult.BadArgument;
  return slot.buffer.set(start >>> 0, length >>> 0, data);
}

/** proxy_get_configuration(ptr_out, size_out), ABI 0.1.0: plugin config in on_configure, else VM config. */
export function proxyGetConfiguration(vm: VmScope, ptrOut: number, sizeOut: number): number {
  const root = vm.acting().root;
  const bytes = root?.configuring ? root.config : vm.vmConfig;
  return vm.memory.giveBytes(bytes, ptrOut, sizeOut);
}

