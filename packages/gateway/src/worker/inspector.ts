/**
 * `--inspect` in a data-plane worker: the V8 inspector of *this* thread (the one that runs the
 * plugins), opened with `inspector.open()` — a worker thread gets its own endpoint and its own
 * ws:// URL — and `--break-on`, armed through an in-thread inspector session as a breakpoint on the
 * plugin's exported Wasm function, so a debugger that is attached stops inside the guest, in that
 * function's first instruction. With no debugger attached such a breakpoint does not stop anything.
 * See docs/debugging.md and RATIONALE ("Plugin debugging").
 */
import inspector from 'node:inspector';
import type { CallMeter, PluginVm } from '@wasmgate/host';
import type { Logger } from '../logger.js';
import { LogLevel } from '@wasmgate/host';
import type { FromWorker, WorkerInspect } from '../supervisor/protocol.js';
import { CallSlotWriter, type Deadline } from './call-slot.js';

/** Opens this thread's inspector and tells the supervisor its ws:// URL. */
export function openInspector(opts: WorkerInspect, post: (m: FromWorker) => void): void {
  inspector.open(opts.port, opts.host, false);
  const url = inspector.url();
  if (url) post({ type: 'inspector', url });
}

/**
 * Disconnects every debugger and closes the endpoint: a thread does not end while a debugger is
 * still attached to it (measured: `wasmgate` waited for DevTools to disconnect before exiting).
 */
export function closeInspector(): void {
  if (inspector.url()) inspector.close();
}

/** `plugin` names the plugin of key `key` (`namespace/name`): the key itself or its name. */
function names(plugin: string, key: string): boolean {
  return plugin === key || plugin === key.slice(key.indexOf('/') + 1);
}

/**
 * A call-slot writer that also arms `--break-on` breakpoints on every VM of a matching plugin, the
 * first time the VM is called (VMs come and go: reloads, rebuilds, recreation after a failure).
 */
export class BreakOnCallSlot extends CallSlotWriter {
  readonly #breakOn: WorkerInspect['breakOn'];
  readonly #logger: Logger;
  readonly #armed = new WeakSet<PluginVm>();
  #session: inspector.Session | undefined;

  constructor(buffer: SharedArrayBuffer, post: (m: FromWorker) => void, breakOn: WorkerInspect['breakOn'], logger: Logger) {
    super(buffer, post);
    this.#breakOn = breakOn;
    this.#logger = logger;
  }

  override meter(serial: number, plugin: string, deadline: Deadline): CallMeter {
    const inner = super.meter(serial, plugin, deadline);
    const wanted = this.#breakOn.filter((b) => names(b.plugin, plugin));
    if (wanted.length === 0) return inner;
    return {
      enter: (vm) => {
        if (!this.#armed.has(vm)) {
          this.#armed.add(vm);
          for (const b of wanted) this.#arm(vm, plugin, b.export);
        }
        inner.enter(vm);
      },
      exit: (vm) => inner.exit(vm),
    };
  }

  /** A breakpoint on the export's Wasm function (V8 `Debugger.setBreakpointOnFunctionCall`). */
  #arm(vm: PluginVm, plugin: string, name: string): void {
    const fn = vm.exportedFunction(name);
    if (!fn) {
      this.#logger.log(LogLevel.warn, `--break-on ${plugin}: the plugin exports no ${name}; nothing to break on`);
      return;
    }
    const session = this.#sessionNow();
    // The object id of the function comes from evaluating it in this thread; an in-thread session
    // answers synchronously, so the global is set and removed around one call.
    const g = globalThis as { __wasmgateBreakOn?: unknown };
    g.__wasmgateBreakOn = fn;
    let failed: string | undefined;
    try {
      session.post('Runtime.evaluate', { expression: 'globalThis.__wasmgateBreakOn' }, (err, res) => {
        const objectId = res?.result.objectId;
        if (err || !objectId) {
          failed = err?.message ?? 'no object id';
          return;
        }
        session.post('Debugger.setBreakpointOnFunctionCall', { objectId }, (e2) => {
          if (e2) failed = e2.message;
        });
      });
    } finally {
      delete g.__wasmgateBreakOn;
    }
    if (failed) this.#logger.log(LogLevel.warn, `--break-on ${plugin}:${name}: cannot set the breakpoint: ${failed}`);
    else this.#logger.log(LogLevel.info, `--break-on: an attached debugger will pause on entry to ${name} of plugin ${plugin}`);
  }

  #sessionNow(): inspector.Session {
    if (!this.#session) {
      this.#session = new inspector.Session();
      this.#session.connect();
      this.#session.post('Debugger.enable');
    }
    return this.#session;
  }
}
