/**
 * Scripted answers to proxy_grpc_call and proxy_grpc_stream (`plugin.grpc`). As with HTTP calls,
 * there is no network: a call matches an interceptor the test registered, or it is answered
 * UNAVAILABLE (14) and recorded as WG_HARNESS_UNMATCHED_GRPC_CALL, which fails the test at the next
 * end()/close()/assertNoUnexpectedCalls().
 *
 * What the plugin sees follows Envoy: a unary call that succeeds delivers only its message
 * (proxy_on_grpc_receive); a failed one only proxy_on_grpc_close(status). A stream delivers initial
 * metadata, each message, trailing metadata, then close. A call that outlives its timeout closes
 * with DEADLINE_EXCEEDED (4).
 * @module
 */
import { HeaderMap, WasmgateError, type DispatchError, type GrpcCallRequest, type GrpcEvents, type GrpcHandle } from '@wasmgate/host';
import { toBytes, toPairs, type BodyInput, type HeadersInput } from './input.js';
import { decideOnClock, Interceptor, InterceptorList, InterceptScope, matchField, quote, type Matcher } from './interceptor.js';
import type { MockDeps } from './mock-http.js';

/** What identifies the gRPC calls an interceptor answers; every given field must match. */
export interface GrpcCallMatch {
  /** The `service` argument (the cluster name). */
  readonly cluster?: Matcher;
  /** Fully qualified service name, e.g. `echo.Echo`. */
  readonly service?: Matcher;
  readonly method?: Matcher;
  readonly where?: (call: GrpcCall) => boolean;
}

/** A scripted answer. `messages` are serialized protobuf (no gRPC framing). */
export interface GrpcReply {
  readonly messages?: readonly BodyInput[];
  /** grpc-status; default 0 (OK). A unary call with status ≠ 0 delivers no message. */
  readonly status?: number;
  /** grpc-message. */
  readonly statusMessage?: string;
  readonly initialMetadata?: HeadersInput;
  readonly trailingMetadata?: HeadersInput;
}

export type GrpcReplyFn = (call: GrpcCall) => GrpcReply | Promise<GrpcReply>;

export type GrpcCallOutcome = 'pending' | 'replied' | 'failed' | 'timeout' | 'cancelled' | 'unmatched' | 'unknown_cluster';

/** One proxy_grpc_call / proxy_grpc_stream the plugin made. */
export interface GrpcCall {
  readonly kind: 'unary' | 'stream';
  readonly cluster: string;
  readonly service: string;
  readonly method: string;
  readonly initialMetadata: HeaderMap;
  /** Messages the plugin sent: the unary request, or each proxy_grpc_send of a stream. */
  readonly messages: readonly Uint8Array[];
  /** Streams: whether the plugin half-closed (end_stream or proxy_grpc_close). */
  readonly localClosed: boolean;
  readonly timeoutMs: number;
  readonly plugin: string;
  /** Virtual time of the call, ms since the plugin was loaded. */
  readonly at: number;
  readonly outcome: GrpcCallOutcome;
}

type MutableCall = { -readonly [K in keyof GrpcCall]: GrpcCall[K] };

type Decision = { kind: 'reply'; reply: GrpcReply } | { kind: 'timeout' } | { kind: 'threw'; error: unknown };

/** Chooses an answer for calls that match. */
export class GrpcInterceptor {
  readonly #ic: Interceptor<GrpcCall, Decision>;

  /** @internal */
  constructor(ic: Interceptor<GrpcCall, Decision>) {
    this.#ic = ic;
  }

  /** Answers OK with one message (unary) or these messages (stream), and optional metadata. */
  reply(message: BodyInput | readonly BodyInput[], more: Omit<GrpcReply, 'messages'> = {}): InterceptScope {
    const reply: GrpcReply = { ...more, messages: Array.isArray(message) ? message : [message as BodyInput] };
    this.#ic.answer = () => ({ kind: 'reply', reply });
    return new InterceptScope(this.#ic);
  }

  /** Answers with a non-OK status (and trailing metadata, for streams). */
  fail(status: number, statusMessage = '', more: Omit<GrpcReply, 'messages' | 'status' | 'statusMessage'> = {}): InterceptScope {
    const reply: GrpcReply = { ...more, status, statusMessage };
    this.#ic.answer = () => ({ kind: 'reply', reply });
    return new InterceptScope(this.#ic);
  }

  /** Computes the answer from the call (may be async). For a stream it runs once the plugin half-closes. */
  replyWith(fn: GrpcReplyFn): InterceptScope {
    this.#ic.answer = async (call) => {
      try {
        return { kind: 'reply', reply: await fn(call) };
      } catch (error) {
        return { kind: 'threw', error };
      }
    };
    return new InterceptScope(this.#ic);
  }
}

/** The gRPC side of the harness: `plugin.grpc`. */
export class MockGrpc {
  readonly #deps: MockDeps;
  readonly #list = new InterceptorList<GrpcCall, Decision>();
  readonly #calls: MutableCall[] = [];
  progress = 0;

  /** @internal */
  constructor(deps: MockDeps) {
    this.#deps = deps;
  }

  /** Registers an interceptor; finish it with .reply(), .fail() or .replyWith(). */
  intercept(match: GrpcCallMatch = {}): GrpcInterceptor {
    const parts = (['cluster', 'service', 'method'] as const).filter((k) => match[k] !== undefined).map((k) => `${k}=${typeof match[k] === 'function' ? '<fn>' : String(match[k])}`);
    if (match.where) parts.push('where=<fn>');
    const description = `grpc ${parts.length ? parts.join(' ') : '(any call)'}`;
    const predicate = (c: GrpcCall) =>
      matchField(match.cluster, c.cluster) && matchField(match.service, c.service) && matchField(match.method, c.method) && (match.where?.(c) ?? true);
    return new GrpcInterceptor(this.#list.add(new Interceptor(description, predicate)));
  }

  get calls(): readonly GrpcCall[] {
    return this.#calls;
  }

  pendingInterceptors(): string[] {
    return this.#list.pending();
  }

  assertNoPendingInterceptors(): void {
    const pending = this.pendingInterceptors();
    if (pending.length === 0) return;
    throw new WasmgateError('WG_HARNESS_PENDING_INTERCEPTORS', `${pending.length} gRPC interceptor(s) never used: ${pending.join('; ')}`, { details: pending });
  }

  /** @internal HostPorts.grpcCall / grpcStream. */
  dispatch(kind: 'unary' | 'stream', req: GrpcCallRequest, events: GrpcEvents): GrpcHandle | DispatchError {
    const call: MutableCall = {
      kind, cluster: req.cluster, service: req.service, method: req.method, initialMetadata: new HeaderMap(req.initialMetadata),
      messages: kind === 'unary' ? [req.message] : [], localClosed: kind === 'unary', timeoutMs: req.timeoutMs, plugin: req.plugin,
      at: this.#deps.clock.elapsed, outcome: 'pending',
    };
    this.#calls.push(call);
    this.progress++;
    if (this.#deps.clusters && !this.#deps.clusters.has(req.cluster)) {
      call.outcome = 'unknown_cluster';
      return 'unknown_cluster';
    }
    let over = false;
    const later = (fn: () => void) => {
      // events come from the event loop, never inside the hostcall
      void Promise.resolve().then(() => {
        if (!over) fn();
      });
    };
    const finish = (outcome: GrpcCallOutcome, status: number, message: string) => {
      if (over) return;
      call.outcome = outcome;
      this.progress++;
      events.close(status, message);
      over = true;
    };
    const ic = this.#list.take(call);
    if (!ic) {
      call.outcome = 'unmatched';
      this.#deps.report(unmatched(call, this.pendingInterceptors()));
      later(() => finish('unmatched', 14, 'no interceptor matched'));
      return { send: () => undefined, closeLocal: () => undefined, cancel: () => void (over = true) };
    }
    const start = () => {
      const decide = async (): Promise<Decision> => {
        try {
          return await ic.answer!(call);
        } catch (error) {
          return { kind: 'threw', error };
        }
      };
      void decideOnClock<Decision>(this.#deps.clock, ic.delayMs, kind === 'unary' ? req.timeoutMs : 0, decide, { kind: 'timeout' }).then((d) => {
        if (over) return;
        if (d.kind === 'timeout') return finish('timeout', 4, 'Deadline Exceeded');
        if (d.kind === 'threw') {
          const msg = d.error instanceof Error ? d.error.message : String(d.error);
          this.#deps.report(new WasmgateError('WG_HARNESS_INTERCEPTOR_THREW', `replyWith() of ${ic.description} threw: ${msg}`, { cause: d.error }));
          return finish('failed', 2, msg);
        }
        const r = d.reply;
        const status = r.status ?? 0;
        const messages = (r.messages ?? []).map(toBytes);
        if (kind === 'unary') {
          if (status !== 0 || messages.length === 0) return finish('failed', status === 0 ? 13 : status, r.statusMessage ?? (status === 0 ? 'no response message' : ''));
          call.outcome = 'replied';
          this.progress++;
          over = true;
          events.message(messages[0]!);
          return;
        }
        events.initialMetadata(toPairs(r.initialMetadata));
        for (const m of messages) if (!over) events.message(m);
        if (over) return;
        events.trailingMetadata(toPairs(r.trailingMetadata));
        finish(status === 0 ? 'replied' : 'failed', status, r.statusMessage ?? '');
      });
    };
    if (kind === 'unary') later(start);
    const handle: GrpcHandle = {
      send: (message, end) => {
        call.messages = [...call.messages, message];
        if (end) handle.closeLocal();
      },
      closeLocal: () => {
        if (call.localClosed) return;
        call.localClosed = true;
        later(start);
      },
      cancel: () => {
        if (over) return;
        over = true;
        call.outcome = 'cancelled';
        this.progress++;
      },
    };
    return handle;
  }

  /** @internal */
  clear(): void {
    this.#list.clear();
  }
}

function unmatched(call: GrpcCall, pending: string[]): WasmgateError {
  const code = `plugin.grpc.intercept({ cluster: ${quote(call.cluster)}, service: ${quote(call.service)}, method: ${quote(call.method)} }).reply(bytes)`;
  return new WasmgateError('WG_HARNESS_UNMATCHED_GRPC_CALL',
    `plugin ${call.plugin} made a gRPC call no interceptor matches: ${call.service}/${call.method} on cluster "${call.cluster}"; the plugin saw UNAVAILABLE (14)`, {
      hint: `script it before driving the stream: ${code}`,
      details: pending.length ? ['unused interceptors:', ...pending] : ['no unused interceptors'],
    });
}
