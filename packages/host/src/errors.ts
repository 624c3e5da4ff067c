/**
 * wasmgate's operator-facing errors: every user-visible failure is a {@link WasmgateError} with a
 * stable `WG_*` code from a catalogue. Codes are never renamed or reused; `docs/errors.md` lists
 * each one and a test keeps the two in step.
 * @module
 */

/** One catalogue entry: what the code means and, where there is one, the usual fix. */
export interface ErrorSpec {
  /** One line: what went wrong, in general terms (the instance message adds the specifics). */
  readonly summary: string;
  /** The usual fix, printed under the message by the CLI. */
  readonly hint?: string;
  /** CLI exit code when this error ends a command: 2 = bad input/usage, 1 = runtime failure. */
  readonly exit?: 1 | 2;
}

/** Identity helper that keeps a catalogue's literal keys as the code type. */
export function defineErrors<const T extends Record<`WG_${string}`, ErrorSpec>>(catalogue: T): T {
  return Object.freeze(catalogue);
}

/** A place in a config file (1-based line and column) and the path of the value inside it. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  /** JSON-pointer-like path inside the document, e.g. `spec.matchRules[0].config`. */
  readonly path?: string;
}

export interface WasmgateErrorOptions {
  readonly hint?: string | undefined;
  readonly details?: readonly string[] | undefined;
  readonly location?: SourceLocation | undefined;
  readonly cause?: unknown;
  readonly exit?: 1 | 2 | undefined;
}

const BRAND = Symbol.for('wasmgate.error');

/**
 * The one error class of wasmgate. Branded with `Symbol.for('wasmgate.error')` so `instanceof`
 * works across two installed copies of the package (undici's trick).
 */
export class WasmgateError extends Error {
  readonly code: `WG_${string}`;
  readonly hint: string | undefined;
  readonly details: readonly string[];
  readonly location: SourceLocation | undefined;
  readonly exit: 1 | 2;

  constructor(code: `WG_${string}`, message: string, options: WasmgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WasmgateError';
    this.code = code;
    const spec = lookupSpec(code);
    this.hint = options.hint ?? spec?.hint;
    this.details = options.details ?? [];
    this.location = options.location;
    this.exit = options.exit ?? spec?.exit ?? 1;
    // Format the stack now. Until it is read, V8 keeps the structured call sites, whose receivers
    // include the PluginVm (and through its instance the whole linear memory) of a failure raised
    // inside a guest call: an error kept for status reporting would keep a dropped VM alive.
    void this.stack;
  }

  get [BRAND](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** `file:line:col  path  message` — the form config reports use. */
  formatLocation(): string {
    const l = this.location;
    if (!l) return '';
    const where = [l.file, l.line, l.col].filter((x) => x !== undefined).join(':');
    return [where, l.path].filter(Boolean).join('  ');
  }
}

const registry = new Map<string, ErrorSpec>();

/** Catalogues register themselves so a code's default hint and exit code are found from anywhere. */
export function registerErrors(catalogue: Record<string, ErrorSpec>): void {
  for (const [code, spec] of Object.entries(catalogue)) registry.set(code, spec);
}

export function lookupSpec(code: string): ErrorSpec | undefined {
  return registry.get(code);
}

/** Every registered code (the errors test compares this with docs/errors.md). */
export function allErrorCodes(): Map<string, ErrorSpec> {
  return new Map(registry);
}

// ---------------------------------------------------------------------------------------------
// Host catalogue: loading plugins, running VMs, the ABI.
// ---------------------------------------------------------------------------------------------
export const HOST_ERRORS = defineErrors({
  // Loading a module
  WG_PLUGIN_NOT_WASM: {
    summary: 'The plugin bytes are not a WebAssembly module.',
    hint: 'Point the plugin at a .wasm file (it starts with the bytes \\0asm); an OCI image or tarball must be unpacked first.',
    exit: 2,
  },
  WG_PLUGIN_COMPILE: {
    summary: 'The WebAssembly module failed to compile (it is corrupt or uses features V8 does not support).',
    hint: 'Rebuild the plugin; check that the file was not truncated in transit.',
    exit: 2,
  },
  WG_PLUGIN_ABI_UNKNOWN: {
    summary: 'The module exports no Proxy-Wasm ABI marker (proxy_abi_version_0_1_0 / 0_2_0 / 0_2_1 / 0_2_100).',
    hint: 'Build the plugin with a Proxy-Wasm SDK; a plain WASI program is not a plugin.',
    exit: 2,
  },
  WG_PLUGIN_LINK: {
    summary: 'The module imports functions wasmgate does not provide.',
    hint: 'Run "wasmgate inspect <file>" to list the unknown imports; they usually come from a newer SDK or a non-Proxy-Wasm library.',
    exit: 2,
  },
  WG_PLUGIN_NO_ALLOCATOR: {
    summary: 'The module exports neither proxy_on_memory_allocate nor malloc, so the host cannot hand it data.',
    hint: 'Export proxy_on_memory_allocate(size) -> ptr (every Proxy-Wasm SDK does).',
    exit: 2,
  },
  WG_PLUGIN_NO_MEMORY: {
    summary: 'The module exports no linear memory named "memory".',
    hint: 'Export the module memory as "memory" (the default for every Wasm toolchain).',
    exit: 2,
  },
  WG_PLUGIN_START_FAILED: {
    summary: 'The module failed while starting (_initialize/_start/main or its start section).',
    hint: 'Look at the plugin log lines in the details; a Go module must be built with -buildmode=c-shared.',
  },
  WG_PLUGIN_VM_START_REJECTED: {
    summary: 'proxy_on_vm_start returned false.',
    hint: 'The plugin refused its VM configuration; its log lines say why.',
  },
  WG_PLUGIN_CONFIGURE_REJECTED: {
    summary: 'proxy_on_configure returned false: the plugin rejected its configuration.',
    hint: 'Fix the plugin configuration (defaultConfig / matchRules[].config); the plugin log lines in the details say what it disliked.',
    exit: 2,
  },
  WG_PLUGIN_INSTRUMENT: {
    summary: 'The module could not be rewritten to enforce CPU deadlines and memory caps (an instruction or section wasmgate does not decode).',
    hint: 'The message names the function and byte offset; the module uses a Wasm feature the rewriter does not know (GC, for example). Rebuild without it, or report it.',
    exit: 2,
  },
  WG_PLUGIN_MEMORY_LIMIT: {
    summary: "The module's initial linear memory is larger than the configured memory cap.",
    hint: 'Raise wasmgate.limits.maxMemoryMiB on the WasmPlugin, or rebuild the plugin with a smaller initial memory.',
    exit: 2,
  },
  WG_PLUGIN_MEMORY_UNSUPPORTED: {
    summary: 'A memory cap is configured but the module memory cannot be capped (memory 0 is imported, 64-bit, or has a custom page size).',
    hint: 'Remove wasmgate.limits.maxMemoryMiB for this plugin, or build it with an ordinary memory it defines itself.',
    exit: 2,
  },
  // Running
  WG_VM_TRAP: {
    summary: 'The plugin trapped (a Wasm runtime error such as unreachable, out-of-bounds access or a Go panic).',
    hint: 'The plugin has a bug; its last log lines (a Go panic prints there) are in the details.',
  },
  WG_VM_ABORT: {
    summary: 'The plugin called abort (AssemblyScript) or proc_exit.',
    hint: 'The abort message, file and line are in the error message.',
  },
  WG_VM_DEADLINE: {
    summary: 'A plugin callback ran past its call deadline and was interrupted (the VM is failed; the thread lives on).',
    hint: 'The plugin loops or computes for too long in one callback; raise wasmgate.limits.callTimeoutMs if that is expected.',
  },
  WG_VM_MEMORY_LIMIT: {
    summary: 'The plugin ran out of memory: a memory.grow past the linear-memory cap was refused, and the plugin failed.',
    hint: 'Raise wasmgate.limits.maxMemoryMiB for this plugin, or find what it keeps allocating.',
  },
  WG_VM_FAILED: {
    summary: 'The VM already failed earlier and cannot run callbacks until it is recreated.',
    hint: 'The first failure is in the cause; the gateway recreates failed VMs with backoff.',
  },
  WG_VM_CONTEXT: {
    summary: 'A context was used out of order (for example a callback after the stream was deleted).',
    hint: 'This is a bug in the embedder or harness script: drive streams headers → body → trailers → log → done.',
  },
});
registerErrors(HOST_ERRORS);

/** A code from the host catalogue. */
export type HostErrorCode = keyof typeof HOST_ERRORS;
