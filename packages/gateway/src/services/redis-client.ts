/**
 * The Redis client behind Higress's `proxy_redis_init` / `proxy_redis_call`: plugins hand over a
 * complete RESP command and get the raw RESP reply back (buffer 9), so this client frames replies
 * but never decodes them. One pipelined TCP connection per client; replies are matched FIFO.
 * @see Proxy-Wasm ABI reference (shared/reference/proxy-wasm-abi.md) §4 (proxy_redis_init/call) and §8 (Redis)
 * @module
 */
import { connect, type Socket } from 'node:net';
import { RespFramer, RespProtocolError, encodeCommand, parseCommand } from './resp.js';

/** Why a call failed: the plugin sees all of these as a failed callout. */
export type RedisErrorKind = 'timeout' | 'connect' | 'closed' | 'bad_command';

/** A failed {@link RedisClient.call}; `kind` says which stage failed. */
export class RedisCallError extends Error {
  readonly kind: RedisErrorKind;
  constructor(kind: RedisErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisCallError';
    this.kind = kind;
  }
}

/** Where and how to connect. */
export interface RedisClientOptions {
  readonly host: string;
  readonly port: number;
  /** ACL user (Redis 6+); sent as `AUTH user pass`. Ignored without `password`. */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Database selected on every (re)connect. */
  readonly db?: number | undefined;
  /** Per call, from `call()` until the reply; 0 = no limit. */
  readonly timeoutMs: number;
  /** TCP connect plus AUTH/SELECT; defaults to `timeoutMs`. 0 = no limit. */
  readonly connectTimeoutMs?: number | undefined;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (err: RedisCallError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Commands that break "one command, one reply" (subscriptions, MONITOR, CLIENT REPLY, replication),
 * undo what the client set up on connect (SELECT, RESET) or end the shared connection under the
 * calls queued behind them (QUIT): they would shift later replies, move other calls to another
 * database or fail them.
 */
const REFUSED = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'monitor', 'sync', 'psync', 'reset', 'select', 'quit']);

/**
 * A pipelined Redis connection that passes raw RESP through.
 * @example
 * const redis = new RedisClient({ host: '127.0.0.1', port: 6379, db: 1, timeoutMs: 1000 });
 * const reply = await redis.call(Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n')); // e.g. `$-1\r\n`
 * redis.close();
 */
export class RedisClient {
  readonly #opts: RedisClientOptions;
  #socket: Socket | undefined;
  #framer = new RespFramer();
  /** True once AUTH/SELECT succeeded on the current socket. */
  #ready = false;
  /** Calls waiting for the connection; not yet written, so they can be dropped freely. */
  #queued: Pending[] = [];
  /** Calls written to the socket, oldest first: the next reply belongs to `#inflight[0]`. */
  #inflight: Pending[] = [];
  /** Replies still owed for our own AUTH/SELECT, which precede every queued command. */
  #handshake = 0;
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RedisClientOptions) {
    this.#opts = options;
  }

  /**
   * Sends one RESP command and resolves with exactly one complete raw reply (an error reply such
   * as `-ERR …` resolves too: it is the plugin's to read).
   * @throws RedisCallError `bad_command` before anything is sent when `command` is not one RESP
   * array of bulk strings or would break reply ordering; `timeout`, `connect` or `closed` after.
   */
  call(command: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new RedisCallError('closed', 'redis client is closed'));
    const args = parseCommand(command);
    if (typeof args === 'string') return Promise.reject(new RedisCallError('bad_command', args));
    const name = args[0]?.toString('latin1').toLowerCase() ?? '';
    if (REFUSED.has(name) || (name === 'client' && args[1]?.toString('latin1').toLowerCase() === 'reply')) {
      return Promise.reject(new RedisCallError('bad_command', `redis command ${name.toUpperCase()} is not supported through proxy_redis_call (it breaks request/reply pairing or the connection's db)`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { bytes: command, resolve, reject, timer: undefined };
      if (this.#opts.timeoutMs > 0) p.timer = setTimeout(() => this.#onTimeout(p), this.#opts.timeoutMs);
      if (this.#socket && this.#ready) this.#send(p);
      else {
        this.#queued.push(p);
        this.#connect();
      }
    });
  }

  /** Closes the connection and rejects every pending call with kind `closed`. */
  close(): void {
    this.#closed = true;
    this.#fail(new RedisCallError('closed', 'redis client closed'));
  }

  #connect(): void {
    if (this.#socket) return;
    const { host, port, username, password, db } = this.#opts;
    const socket = connect({ host, port, noDelay: true, keepAlive: true });
    this.#socket = socket;
    this.#framer = new RespFramer();
    const limit = this.#opts.connectTimeoutMs ?? this.#opts.timeoutMs;
    if (limit > 0) {
      this.#connectTimer = setTimeout(() => {
        this.#fail(new RedisCallError('connect', `redis ${host}:${port}: connect and handshake took longer than ${limit} ms`));
      }, limit);
    }
    socket.on('connect', () => {
      const hello: Buffer[] = [];
      if (password !== undefined && password !== '') hello.push(encodeCommand(username ? ['AUTH', username, password] : ['AUTH', password]));
      if (db !== undefined && db !== 0) hello.push(encodeCommand(['SELECT', String(db)]));
      this.#handshake = hello.length;
      // Queued commands wait for the handshake replies: pipelining them behind a failing SELECT
      // would run them against database 0.
      if (hello.length > 0) socket.write(Buffer.concat(hello));
      else this.#onReady();
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.#socket) this.#onData(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket !== this.#socket) return;
      const kind = this.#ready ? 'closed' : 'connect';
      this.#fail(new RedisCallError(kind, `redis ${host}:${port}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), { cause: err }));
    });
    socket.on('close', () => {
      if (socket !== this.#socket) return;
      this.#fail(new RedisCallError(this.#ready ? 'closed' : 'connect', `redis ${host}:${port}: connection closed by the server`));
    });
  }

  #onReady(): void {
    clearTimeout(this.#connectTimer);
    this.#ready = true;
    const queued = this.#queued;
    this.#queued = [];
    for (const p of queued) this.#send(p);
  }

  #send(p: Pending): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#inflight.push(p);
    // Batch the writes of one tick into one segment, as a pipeline should be.
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    socket.write(p.bytes);
  }

  #onData(chunk: Buffer): void {
    let values: Uint8Array[];
    try {
      ({ values } = this.#framer.push(chunk));
    } catch (e) {
      const msg = e instanceof RespProtocolError ? e.message : String(e);
      this.#fail(new RedisCallError('closed', `redis ${this.#opts.host}:${this.#opts.port}: ${msg}`, { cause: e }));
      return;
    }
    // Top-level RESP3 pushes (client tracking, …) answer no command and are dropped by the framer.
    for (const reply of values) {
      if (this.#handshake > 0) {
        this.#handshake--;
        if (reply[0] === 0x2d /* - */) {
          const text = Buffer.from(reply).toString('utf8').slice(1).trim();
          this.#fail(new RedisCallError('connect', `redis ${this.#opts.host}:${this.#opts.port}: ${text}`));
          return;
        }
        if (this.#handshake === 0) this.#onReady();
        continue;
      }
      const p = this.#inflight.shift();
      if (!p) {
        this.#fail(new RedisCallError('closed', `redis ${this.#opts.host}:${this.#opts.port}: reply without a pending command`));
        return;
      }
      clearTimeout(p.timer);
      p.resolve(reply);
    }
  }

  #onTimeout(p: Pending): void {
    const i = this.#queued.indexOf(p);
    if (i !== -1) {
      // Never written: dropping it cannot shift the FIFO, so the connection attempt carries on.
      this.#queued.splice(i, 1);
      p.reject(new RedisCallError('timeout', `redis call timed out after ${this.#opts.timeoutMs} ms (still connecting)`));
      return;
    }
    // Its reply may still arrive and would then be taken for the next command's: drop the socket
    // and everything written on it.
    const idx = this.#inflight.indexOf(p);
    if (idx === -1) return;
    this.#inflight.splice(idx, 1);
    p.reject(new RedisCallError('timeout', `redis call timed out after ${this.#opts.timeoutMs} ms`));
    this.#fail(new RedisCallError('closed', 'redis connection dropped because another call on it timed out'));
  }

  /** Drops the socket and rejects every queued and in-flight call; the next call reconnects. */
  #fail(err: RedisCallError): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    this.#handshake = 0;
    socket?.destroy();
    const victims = [...this.#inflight, ...this.#queued];
    this.#inflight = [];
    this.#queued = [];
    for (const p of victims) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}

/** A Higress Redis cluster name split into the cluster and its query parameters. */
export interface RedisClusterName {
  readonly cluster: string;
  readonly db?: number;
  /** Every query parameter, known or not (`buffer_flush_timeout`, … are accepted and unused). */
  readonly params: Record<string, string>;
}

/**
 * Splits a `proxy_redis_init` cluster name such as
 * `outbound|6379||redis.default.svc.cluster.local?db=1&buffer_flush_timeout=0`.
 * @throws TypeError when `db` is present but not a non-negative integer.
 * @see Proxy-Wasm ABI reference (shared/reference/proxy-wasm-abi.md) §4 (proxy_redis_init)
 */
export function parseRedisCluster(name: string): RedisClusterName {
  const q = name.indexOf('?');
  const cluster = q === -1 ? name : name.slice(0, q);
  // fromEntries defines own properties, so a `__proto__` key cannot reach the prototype.
  const params: Record<string, string> = q === -1 ? {} : Object.fromEntries(new URLSearchParams(name.slice(q + 1)));
  const rawDb = params.db;
  if (rawDb === undefined) return { cluster, params };
  if (!/^\d{1,9}$/.test(rawDb)) throw new TypeError(`redis cluster ${JSON.stringify(cluster)}: db must be a non-negative integer, got ${JSON.stringify(rawDb)}`);
  return { cluster, db: Number(rawDb), params };
}
