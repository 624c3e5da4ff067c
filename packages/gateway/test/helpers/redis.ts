/**
 * Starts a throwaway redis-server for a test: loopback, free port, no persistence, stopped by the
 * caller in `after()`. Returns undefined (and skips the test) when redis-server is not installed,
 * except under CI where that is a failure (see daemon.ts).
 */
import { requireBinary, startDaemon, type Daemon } from './daemon.js';

export interface RedisOptions {
  /** `requirepass` for the default user, or the password of `user` when that is given. */
  readonly password?: string;
  /** An ACL user with full rights; the default user is then switched off. */
  readonly user?: string;
}

/** Starts redis-server; `t` is the test (or suite) context used to skip when it is missing. */
export async function startRedis(t: { skip(msg: string): void }, opts: RedisOptions = {}): Promise<Daemon | undefined> {
  const bin = requireBinary(t, 'redis-server', 'apt-get install -y redis-server');
  if (!bin) return undefined;
  return startDaemon(bin, (port) => {
    // Every setting goes on the command line (no config file to clean up); `--save ''` and
    // `--appendonly no` keep it from writing dump files into the working directory.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    if (opts.user !== undefined) {
      args.push('--user', opts.user, 'on', `>${opts.password ?? ''}`, '~*', '&*', '+@all');
      args.push('--user', 'default', 'off');
    } else if (opts.password !== undefined) {
      args.push('--requirepass', opts.password);
    }
    return args;
  });
}
