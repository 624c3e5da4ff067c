/**
 * What a CLI command may touch. Only `cli/main.ts` builds one from `process`; commands receive it,
 * so they can be tested with captured output and no process exit.
 */
export interface CliIo {
  /** Writes a line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes a line (a newline is added) to standard error. */
  err(line: string): void;
  /** Working directory that relative paths are resolved against. */
  readonly cwd: string;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks the command to stop (SIGINT/SIGTERM); long-running commands await it. */
  readonly stopSignal: Promise<void>;
  /**
   * Calls `listener` on every SIGUSR1 (logrotate's "reopen your logs"). Optional: where absent (tests,
   * embedders) nothing reopens. Registered only by a command that has a file to reopen, since a
   * SIGUSR1 listener replaces Node's default (starting the inspector).
   */
  onReopenLogs?(listener: () => void): void;
}

/**
 * A command module exports `run(args, io)`: args are the words after the command name; the result
 * is the exit code (0 ok, 1 runtime failure, 2 invalid usage or config).
 */
export type CommandRunner = (args: string[], io: CliIo) => Promise<number>;
