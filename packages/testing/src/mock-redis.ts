/**
 * Scripted answers to Higress's proxy_redis_init / proxy_redis_call. proxy_redis_init always
 * succeeds for a known cluster (every cluster unless loadPlugin's `clusters` lists them) and is
 * recorded; each proxy_redis_call must match an interceptor, or it fails for the plugin (status 1,
 * NetworkError) and is recorded as WG_HARNESS_UNMATCHED_REDIS_CALL.
 *
 * A reply delayed to or past the timeout given to proxy_redis_init fails with NetworkError at
 * the timeout, as Higress's Redis client does.
 * @module
 */
import { utf8Decode, utf8Encode, WasmgateError, type DispatchError, type RedisInitRequest } from '@wasmgate/host';
import { decideOnClock, Interceptor, InterceptorList, InterceptScope, matchField, quote, type Matcher } from './interceptor.js';
import type { MockDeps } from './mock-http.js';
import { parseRespCommand } from './resp.js';

/** What identifies the Redis calls an interceptor answers; every given field must match. */
export interface RedisCallMatch {
  /** Cluster name without its `?db=…` options. */
  readonly cluster?: Matcher;
  /** The command word (`GET`, `INCR` …), compared case-insensitively when a string. */
  readonly command?: Matcher;
  /** The words after the command, position by position (extra words are not checked). */
  readonly args?: readonly Matcher[];
  readonly where?: (call: RedisCall) => boolean;
}

/** A raw RESP reply (see {@link resp}), or `'fail'` for a network error. */
export type RedisReply = string | Uint8Array;
export type RedisReplyFn = (call: RedisCall) => RedisReply | 'fail' | Promise<RedisReply | 'fail'>;

export type RedisCallOutcome = 'pending' | 'replied' | 'failed' | 'timeout' | 'unmatched';

/** One proxy_redis_call the plugin made. */
export interface RedisCall {
  readonly cluster: string;
  /** Upper-cased first word; '' when the query is not a RESP array. */
  readonly command: string;
  /** Words after the command. */
  readonly args: readonly string[];
  /** The query as text, exactly as sent. */
  readonly query: string;
  readonly plugin: string;
  readonly at: number;
  readonly outcome: RedisCallOutcome;
  /** The raw reply the plugin received, as text. */
  readonly reply: string | undefined;
}

/** One proxy_redis_init. */
export interface RedisInit {
  /** Name before `?`. */
  readonly cluster: string;
  /** As the plugin passed it, options included. */
  readonly raw: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
}

type Decision = { kind: 'reply'; bytes: Uint8Array } | { kind: 'fail' } | { kind: 'timeout' } | { kind: 'threw'; error: unknown };

/** Chooses an answer for Redis calls that match. */
export class RedisInterceptor {
  readonly #ic: Interceptor<RedisCall, Decision>;

  /** @internal */
  constructor(ic: Interceptor<RedisCall, Decision>) {
    this.#ic = ic;
  }

  /** Answers with a raw RESP reply, e.g. `resp.integer(1)` or `'+OK\r\n'`. */
  reply(raw: RedisReply): InterceptScope {
    const bytes = typeof raw === 'string' ? utf8Encode(raw) : raw;
    this.#ic.answer = () => ({ kind: 'reply', bytes });
    return new InterceptScope(this.#ic);
  }

  /** Computes the reply from the call (may be async; `'fail'` fails it). */
  replyWith(fn: RedisReplyFn): InterceptScope {
    this.#ic.answer = async (call) => {
      try {
        const r = await fn(call);
        return r === 'fail' ? { kind: 'fail' } : { kind: 'reply', bytes: typeof r === 'string' ? utf8Encode(r) : r };
      } catch (error) {
        return { kind: 'threw', error };
      }
    };
    return new InterceptScope(this.#ic);
  }

  /** Fails the call: proxy_on_redis_call_response gets status 1 (NetworkError) and no reply. */
  fail(): InterceptScope {
    this.#ic.answer = () => ({ kind: 'fail' });
    return new InterceptScope(this.#ic);
  }
}

/**
 * The Redis side of the harness: `plugin.redis`.
 * @example
 * plugin.redis.intercept({ cluster: 'redis', command: 'INCR', args: ['hits'] }).reply(resp.integer(1));
 */
export class MockRedis {
  readonly #deps: MockDeps;
  readonly #list = new InterceptorList<RedisCall, Decision>();
  readonly #calls: RedisCall[] = [];
  readonly #inits: RedisInit[] = [];
  progress = 0;

  /** @internal */
  constructor(deps: MockDeps) {
    this.#deps = deps;
  }

  /** Registers an interceptor; finish it with .reply(), .replyWith() or .fail(). */
  intercept(match: RedisCallMatch = {}): RedisInterceptor {
    const parts = [match.cluster !== undefined && `cluster=${String(match.cluster)}`, match.command !== undefined && `command=${String(match.command)}`,
      match.args && `args=[${match.args.map(String).join(', ')}]`, match.where && 'where=<fn>'].filter(Boolean);
    const predicate = (c: RedisCall) =>
      matchField(match.cluster, c.cluster) && matchField(match.command, c.command, true) &&
      (match.args ?? []).every((m, i) => c.args[i] !== undefined && matchField(m, c.args[i]!)) && (match.where?.(c) ?? true);
    return new RedisInterceptor(this.#list.add(new Interceptor(`redis ${parts.join(' ') || '(any call)'}`, predicate)));
  }

  get calls(): readonly RedisCall[] {
    return this.#calls;
  }

  get inits(): readonly RedisInit[] {
    return this.#inits;
  }

  pendingInterceptors(): string[] {
    return this.#list.pending();
  }

  /** Throws WG_HARNESS_PENDING_INTERCEPTORS listing interceptors the plugin never called. */
  assertNoPendingInterceptors(): void {
    const pending = this.pendingInterceptors();
    if (pending.length === 0) return;
    throw new WasmgateError('WG_HARNESS_PENDING_INTERCEPTORS', `${pending.length} Redis interceptor(s) never used: ${pending.join('; ')}`, { details: pending });
  }

  /** @internal HostPorts.redisInit. */
  init(req: RedisInitRequest): 'ok' | DispatchError {
    const cluster = clusterName(req.cluster);
    if (this.#deps.clusters && !this.#deps.clusters.has(cluster)) return 'unknown_cluster';
    this.#inits.push({ cluster, raw: req.cluster, username: req.username, password: req.password, timeoutMs: req.timeoutMs });
    return 'ok';
  }

  /** @internal HostPorts.redisCall. */
  dispatch(rawCluster: string, query: Uint8Array, plugin: string): Promise<Uint8Array> | DispatchError {
    const cluster = clusterName(rawCluster);
    if (this.#deps.clusters && !this.#deps.clusters.has(cluster)) return 'unknown_cluster';
    const words = parseRespCommand(query);
    const call = {
      cluster, command: words?.[0]?.toUpperCase() ?? '', args: words?.slice(1) ?? [], query: utf8Decode(query), plugin,
      at: this.#deps.clock.elapsed, outcome: 'pending' as RedisCallOutcome, reply: undefined as string | undefined,
    };
    this.#calls.push(call);
    this.progress++;
    const ic = this.#list.take(call);
    if (!ic) {
      call.outcome = 'unmatched';
      const code = `plugin.redis.intercept({ cluster: ${quote(cluster)}, command: ${quote(call.command)} }).reply(resp.ok())`;
      this.#deps.report(new WasmgateError('WG_HARNESS_UNMATCHED_REDIS_CALL',
        `plugin ${plugin} made a Redis call no interceptor matches: ${[call.command, ...call.args].join(' ') || JSON.stringify(call.query)} on cluster "${cluster}"; the plugin saw a network error`,
        { hint: `script it before driving the stream: ${code}`, details: this.pendingInterceptors() }));
      return Promise.reject(new Error('no interceptor matched'));
    }
    const answer = ic.answer!;
    const timeoutMs = this.#inits.findLast((i) => i.cluster === cluster)?.timeoutMs ?? 0;
    const decide = async (): Promise<Decision> => {
      try {
        return await answer(call);
      } catch (error) {
        return { kind: 'threw', error };
      }
    };
    return decideOnClock<Decision>(this.#deps.clock, ic.delayMs, timeoutMs, decide, { kind: 'timeout' }).then((d) => {
      this.progress++;
      if (d.kind === 'reply') {
        call.outcome = 'replied';
        call.reply = utf8Decode(d.bytes);
        return d.bytes;
      }
      call.outcome = d.kind === 'timeout' ? 'timeout' : 'failed';
      if (d.kind === 'threw') {
        const msg = d.error instanceof Error ? d.error.message : String(d.error);
        this.#deps.report(new WasmgateError('WG_HARNESS_INTERCEPTOR_THREW', `replyWith() of ${ic.description} threw: ${msg}`, { cause: d.error }));
      }
      throw new Error(call.outcome);
    });
  }

  /** @internal */
  clear(): void {
    this.#list.clear();
  }
}

function clusterName(raw: string): string {
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
