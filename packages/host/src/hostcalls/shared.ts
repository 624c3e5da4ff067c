/**
 * Shared data and shared queues (spec: "Shared key-value store", "Shared queues"), scoped by vm_id.
 */
import { WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context/scope.js';

/** proxy_get_shared_data(key_ptr, key_size, value_ptr_out, value_size_out, cas_out): absent ⇒ NotFound. */
export function proxyGetSharedData(vm: VmScope, kp: number, kl: number, pOut: number, sOut: number, casOut: number): number {
  const key = vm.memory.string(kp, kl);
  if (key === undefined || !vm.memory.inBounds(casOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const entry = vm.ports.sharedData.get(vm.vmId, key);
  if (!entry) return WasmResult.NotFound;
  const r = vm.memory.giveBytes(entry.value, pOut, sOut);
  if (r !== WasmResult.Ok) return r;
  vm.memory.writeU32(casOut, entry.cas);
  return WasmResult.Ok;
}

/** proxy_set_shared_data(key_ptr, key_size, value_ptr, value_size, cas): cas 0 = unconditional. */
export function proxySetSharedData(vm: VmScope, kp: number, kl: number, vp: number, vl: number, cas: number): number {
  const key = vm.memory.string(kp, kl);
  const value = vm.memory.view(vp, vl);
  if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
  return vm.ports.sharedData.set(vm.vmId, key, value, cas >>> 0);
}

/** proxy_register_shared_queue(name_ptr, name_size, id_out): ready events go to the acting root. */
export function proxyRegisterSharedQueue(vm: VmScope, np: number, nl: number, idOut: number): number {
  const name = vm.memory.string(np, nl);
  if (name === undefined || !vm.memory.inBounds(idOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const root = vm.acting().root;
  if (!root) return WasmResult.BadArgument;
  const id = vm.ports.sharedQueues.register(vm.vmId, name, (queueId) => {
    // Delivered from the event loop, never inside the enqueuing call.
    queueMicrotask(() => {
      if (root.deleted) return;
      try {
        vm.call(root, 'proxy_on_queue_ready', [root.id, queueId]);
      } catch {
        // the VM failed; the failure was reported
      }
    });
  });
  // 0 is never a queue id: a bounded store (the shared-memory one) had no room.
  if (id === 0) return WasmResult.InternalFailure;
  vm.memory.writeU32(idOut, id);
  return WasmResult.Ok;
}

/** proxy_resolve_shared_queue(vm_id_ptr, vm_id_size, name_ptr, name_size, id_out): empty vm_id = own. */
export function proxyResolveSharedQueue(vm: VmScope, vp: number, vl: number, np: number, nl: number, idOut: number): number {
  const vmId = vm.memory.string(vp, vl);
  const name = vm.memory.string(np, nl);
  if (vmId === undefined || name === undefined || !vm.memory.inBounds(idOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const id = vm.ports.sharedQueues.resolve(vmId === '' ? vm.vmId : vmId, name);
  if (id === undefined) return WasmResult.NotFound;
  vm.memory.writeU32(idOut, id);
  return WasmResult.Ok;
}

/** proxy_enqueue_shared_queue(id, value_ptr, value_size): unknown ⇒ NotFound. */
export function proxyEnqueueSharedQueue(vm: VmScope, id: number, vp: number, vl: number): number {
  const value = vm.memory.view(vp, vl);
  if (value === undefined) return WasmResult.InvalidMemoryAccess;
  return vm.ports.sharedQueues.enqueue(id >>> 0, value);
}

/** proxy_dequeue_shared_queue(id, value_ptr_out, value_size_out): unknown ⇒ NotFound, empty ⇒ Empty. */
export function proxyDequeueSharedQueue(vm: VmScope, id: number, pOut: number, sOut: number): number {
  if (!vm.memory.inBounds(pOut >>> 0, 4) || !vm.memory.inBounds(sOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
  const r = vm.ports.sharedQueues.dequeue(id >>> 0);
  if (typeof r === 'number') return r;
  return vm.memory.giveBytes(r, pOut, sOut);
}
