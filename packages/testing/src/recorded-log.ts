/**
 * Every log line the plugins under test wrote (proxy_log, stdout/stderr through WASI, host notes
 * about the plugin), kept in order with level names so tests can assert on them directly.
 * @module
 */
import { LOG_LEVEL_NAMES, type LogLevelName, type LogRecord } from '@wasmgate/host';

/** One recorded log line. */
export interface LogEntry {
  readonly level: LogLevelName;
  readonly message: string;
  /** Plugin name (loadPlugin's `name`, or a chain plugin's). */
  readonly plugin: string;
  /** Context the plugin was running in: 0 = VM, the root's id, or an HTTP stream's id. */
  readonly contextId: number;
  /** proxy_log, fd 1 (stdout), fd 2 (stderr, where a Go panic lands), or the host itself. */
  readonly source: LogRecord['source'];
}

/** The log of one test plugin (and its chain). */
export class RecordedLog {
  #entries: LogEntry[] = [];
  readonly #echo: ((entry: LogEntry) => void) | undefined;
  /** Bumped on every line; the harness uses it to tell whether settling made progress. */
  count = 0;

  constructor(echo?: (entry: LogEntry) => void) {
    this.#echo = echo;
  }

  /** The HostPorts.log implementation. */
  record(r: LogRecord): void {
    const entry: LogEntry = { level: LOG_LEVEL_NAMES[r.level] ?? 'trace', message: r.message, plugin: r.plugin, contextId: r.contextId, source: r.source };
    this.#entries.push(entry);
    this.count++;
    this.#echo?.(entry);
  }

  get entries(): readonly LogEntry[] {
    return this.#entries;
  }

  /** Messages logged at exactly `level`, in order. */
  at(level: LogLevelName): string[] {
    return this.#entries.filter((e) => e.level === level).map((e) => e.message);
  }

  /** Entries written while one of `contextIds` was running (a stream's own lines). */
  forContexts(contextIds: ReadonlySet<number>): LogEntry[] {
    return this.#entries.filter((e) => contextIds.has(e.contextId));
  }

  clear(): void {
    this.#entries = [];
  }
}
