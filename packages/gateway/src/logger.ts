/**
 * The gateway's logger: one line per event, `level message {fields}` for people, written through an
 * injected sink so library code never touches process streams (only cli/ builds the sink).
 */
import { redactText } from './redact.js';
import { LOG_LEVEL_NAMES, type LogLevel, type LogLevelName } from '@wasmgate/host';

export interface Logger {
  /** Numeric Proxy-Wasm level (0 trace … 5 critical) below which lines are dropped. */
  level: LogLevel;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** Writes a line already formatted (and level-filtered) elsewhere: a worker thread's log lines. */
  write(line: string): void;
}

export function levelFromName(name: LogLevelName): LogLevel {
  return LOG_LEVEL_NAMES.indexOf(name) as LogLevel;
}

/** A logger writing text lines to `write` (the CLI passes stderr). */
export function createLogger(write: (line: string) => void, level: LogLevel = 2): Logger {
  return {
    level,
    log(l, message, fields) {
      if (l < this.level) return;
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      // Masked (URL passwords, credentials): redact.ts.
      write(`${new Date().toISOString()} ${LOG_LEVEL_NAMES[l] ?? l} ${redactText(message)}${redactText(extra)}`);
    },
    write,
  };
}
