/**
 * Which streams run on which VM, so that a VM failing in one stream (a trap, an abort) reaches the
 * other streams paused on it. Their callout answers will never be delivered to a failed VM, so
 * without this they would wait forever; instead each applies the plugin's failStrategy. One failure
 * listener per VM, however many streams come and go.
 */
import type { PluginVm } from '../vm.js';

/** A stream that wants to hear about failures of the VMs of its chain. */
export interface VmWatcher {
  vmFailed(vm: PluginVm): void;
}

const watchers = new WeakMap<PluginVm, Set<VmWatcher>>();

export function watchVm(vm: PluginVm, watcher: VmWatcher): void {
  let set = watchers.get(vm);
  if (!set) {
    const fresh = new Set<VmWatcher>();
    watchers.set(vm, fresh);
    // Deferred: the failing guest call is still unwinding, and the stream it ran for handles its own
    // failure first; the others hear of it from the event loop, never re-entrantly (reference §3).
    vm.onFailure(() => void Promise.resolve().then(() => {
      for (const w of [...fresh]) w.vmFailed(vm);
    }));
    set = fresh;
  }
  set.add(watcher);
}

export function unwatchVm(vm: PluginVm, watcher: VmWatcher): void {
  watchers.get(vm)?.delete(watcher);
}
