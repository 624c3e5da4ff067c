/**
 * The harness's StreamSink: records what passed the chain on each side, so a test reads it as the
 * upstream server and the client would have received it. Headers are snapshots taken when they
 * left the chain; later changes (there should be none) do not leak into assertions.
 * @module
 */
import { HeaderMap, utf8Decode, type HeaderPair, type StreamSink } from '@wasmgate/host';

/** What the upstream server received. */
export interface UpstreamView {
  /** Undefined until the request headers passed every plugin (never, after a local reply). */
  readonly headers: HeaderMap | undefined;
  /** The body received so far, as UTF-8 text. */
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  /** Each body chunk as it arrived (buffering plugins merge chunks). */
  readonly chunks: readonly Uint8Array[];
  readonly trailers: HeaderMap | undefined;
  /** The request ended (endStream or trailers reached the upstream). */
  readonly ended: boolean;
  /** A local reply replaced the upstream exchange: the upstream request was cancelled. */
  readonly aborted: boolean;
}

/** What the client received. */
export interface DownstreamView {
  /** `:status`, once response headers were sent. */
  readonly status: number | undefined;
  readonly headers: HeaderMap | undefined;
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  readonly chunks: readonly Uint8Array[];
  readonly trailers: HeaderMap | undefined;
  readonly ended: boolean;
}

interface Side {
  headers: HeaderMap | undefined;
  chunks: Uint8Array[];
  trailers: HeaderMap | undefined;
  ended: boolean;
}

const newSide = (): Side => ({ headers: undefined, chunks: [], trailers: undefined, ended: false });

function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** @internal */
export class StreamRecord {
  readonly #up = newSide();
  readonly #down = newSide();
  #aborted = false;
  resetReason: string | undefined;
  readonly sink: StreamSink;

  /** @param changed called on every delivery (the harness's settle() watches for progress) */
  constructor(changed: () => void) {
    const headers = (side: Side, map: HeaderMap, eos: boolean) => {
      side.headers = map.clone();
      side.ended ||= eos;
      changed();
    };
    const data = (side: Side, bytes: Uint8Array, eos: boolean) => {
      if (bytes.length > 0) side.chunks.push(bytes.slice());
      side.ended ||= eos;
      changed();
    };
    const trailers = (side: Side, map: HeaderMap) => {
      side.trailers = map.clone();
      side.ended = true;
      changed();
    };
    this.sink = {
      requestHeaders: (m, eos) => headers(this.#up, m, eos),
      requestData: (d, eos) => data(this.#up, d, eos),
      requestTrailers: (m) => trailers(this.#up, m),
      responseHeaders: (m, eos) => headers(this.#down, m, eos),
      responseData: (d, eos) => data(this.#down, d, eos),
      responseTrailers: (m) => trailers(this.#down, m),
      abortUpstream: () => {
        this.#aborted = true;
        changed();
      },
      reset: (reason) => {
        this.resetReason = reason;
        changed();
      },
    };
  }

  /** A header map for the chain to work on (plugins mutate it in place). */
  input(pairs: readonly HeaderPair[]): HeaderMap {
    return new HeaderMap(pairs);
  }

  get downstreamHeaders(): HeaderMap | undefined {
    return this.#down.headers;
  }

  get upstream(): UpstreamView {
    const s = this.#up;
    const bytes = joined(s.chunks);
    return { headers: s.headers, body: utf8Decode(bytes), bodyBytes: bytes, chunks: s.chunks.slice(), trailers: s.trailers, ended: s.ended, aborted: this.#aborted };
  }

  get downstream(): DownstreamView {
    const s = this.#down;
    const bytes = joined(s.chunks);
    const status = Number(s.headers?.get(':status'));
    return {
      status: Number.isInteger(status) ? status : undefined, headers: s.headers, body: utf8Decode(bytes), bodyBytes: bytes,
      chunks: s.chunks.slice(), trailers: s.trailers, ended: s.ended,
    };
  }
}
