/**
 * Which streams run on which VM, so that a VM failing in one stream (a trap, an abort) reaches the
 * other streams paused on it. Their callout answers will never be delivered to a failed VM, so
 * without this they would wait forever; instead each applies the plugin's failStrategy. One failure
 * listener per VM, however many streams come and go.
 */
import { IdTable } from '../context/id-table.js';
import type { PluginVm } from '../vm.js';

/** A stream that wants to hear about failures of the VMs of its chain. */
export interface VmWatcher {
  /** Unique per watcher (see {@link nextWatchId}). */
  readonly watchId: number;
  vmFailed(vm: PluginVm): void;
}

// Every stream registers and unregisters here, so the per-VM registry is an IdTable: a Set would
// re-allocate its table every few streams (see id-table.ts).
const watchers = new WeakMap<PluginVm, IdTable<VmWatcher>>();
let lastWatchId = 0;

/** A fresh watcher id. */
export function nextWatchId(): number {
  lastWatchId = (lastWatchId + 1) >>> 0;
  return lastWatchId;
}

export function watchVm(vm: PluginVm, watcher: VmWatcher): void {
  let table = watchers.get(vm);
  if (!table) {
    const fresh = new IdTable<VmWatcher>();
    watchers.set(vm, fresh);
    // Deferred: the failing guest call is still unwinding, and the stream it ran for handles its own
    // failure first; the others hear of it from the event loop, never re-entrantly (reference §3).
    vm.onFailure(() => void Promise.resolve().then(() => {
      // In registration order, as before (ids only grow).
      for (const w of [...fresh.values()].sort((a, b) => a.watchId - b.watchId)) w.vmFailed(vm);
    }));
    table = fresh;
  }
  table.set(watcher.watchId, watcher);
}

export function unwatchVm(vm: PluginVm, watcher: VmWatcher): void {
  watchers.get(vm)?.delete(watcher.watchId);
}
