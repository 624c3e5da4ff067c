/**
 * One direction (request or response) of Envoy's filter-manager iteration over a chain of Wasm
 * filters: headers, then body chunks, then trailers pass filter by filter; a filter may stop them
 * and later continue (by returning Continue from a body/trailers callback, or proxy_continue_stream).
 *
 * Stop semantics (Envoy):
 *   headers StopIteration (1, Higress 0.2.100 only)   hold headers; body chunks still reach this filter
 *   headers StopAll… (3/4; 1 on other ABIs)           hold everything; body buffered WITHOUT callbacks;
 *                                                      on continue the buffered body reaches this filter
 *   body StopIterationAndBuffer / Watermark (1/2)     keep the chunk; call again with the accumulated body
 *   body StopIterationNoBuffer (3)                    drop the chunk; later chunks still come here
 *   trailers StopIteration (1)                        hold the trailers until continue
 * A buffered body over the limit ends the request with 413 (request) or 500 (response); watermark
 * modes pause the sending side instead.
 *
 * Several filters can be stopped at once, as in Envoy's filter manager: one holding the headers
 * (nothing after it has seen them) and, before it, filters holding body data. Data and trailers
 * always flow from the first filter: the filters before a hold still see every chunk as it arrives,
 * and the hold only buffers what they passed on.
 */
import { FilterDataStatus, FilterHeadersStatus } from '../abi/constants.js';
import { BodyBuffer, concatAll } from '../context/body-buffer.js';
import type { HeaderMap } from '../context/header-map.js';

/** What the direction needs from its stream: calling filters and delivering past the last one. */
export interface DirectionOps {
  readonly count: number;
  /** Calls filter `pos` (in this direction's order); undefined ⇒ skipped (fail-open, not in scope). */
  headers(pos: number, map: HeaderMap, eos: boolean): number | undefined;
  data(pos: number, body: BodyBuffer): number | undefined;
  trailers(pos: number, map: HeaderMap): number | undefined;
  sinkHeaders(map: HeaderMap, eos: boolean): void;
  sinkData(data: Uint8Array, eos: boolean): void;
  sinkTrailers(map: HeaderMap): void;
  /** True once the direction must stop (local reply, reset). */
  stopped(): boolean;
  limit(): number;
  overLimit(): void;
  pause(paused: boolean): void;
}

interface Hold {
  readonly pos: number;
  headersHeld: boolean;
  headersEos: boolean;
  /** stop-all: buffered without callbacks; deliver: every new chunk reaches the holding filter. */
  mode: 'stop-all' | 'deliver';
  watermark: boolean;
  chunks: Uint8Array[];
  size: number;
  /** The body has ended (eos seen) while held. */
  eos: boolean;
  trailers: HeaderMap | undefined;
  /** The holding filter already got its trailers callback. */
  trailersDelivered?: boolean;
  /**
   * The buffer the holding filter saw in its last body callback. It stays visible to that filter
   * while the stream is paused (Envoy: buffer 0/1 "in and paused-from" on_*_body), so a plugin can
   * still edit it, e.g. from a callout answer; `#sync` folds such edits into `chunks`.
   */
  exposed: BodyBuffer | undefined;
  exposedBytes: Uint8Array | undefined;
}

export class Direction {
  readonly #ops: DirectionOps;
  /** Filters currently stopped, ordered by position. */
  #holds: Hold[] = [];
  #headers: HeaderMap | undefined;
  /** Filter currently inside a callback, and whether it asked to continue meanwhile. */
  #inCall = -1;
  #continueWhileInCall = false;
  #paused = false;
  headersSent = false;
  ended = false;

  constructor(ops: DirectionOps) {
    this.#ops = ops;
  }

  get held(): boolean {
    return this.#holds.length > 0;
  }

  /** Position of the first filter holding the stream, or -1. */
  get heldAt(): number {
    return this.#holds[0]?.pos ?? -1;
  }

  /** Positions of every filter holding the stream, in order. */
  get heldPositions(): number[] {
    return this.#holds.map((h) => h.pos);
  }

  #holdAt(pos: number): Hold | undefined {
    return this.#holds.find((h) => h.pos === pos);
  }

  #addHold(h: Hold): void {
    this.#holds.push(h);
    this.#holds.sort((a, b) => a.pos - b.pos);
  }

  onHeaders(map: HeaderMap, eos: boolean): void {
    if (this.#ops.stopped()) return;
    this.#headers = map;
    if (eos) this.ended = true;
    this.#runHeaders(0, map, eos);
  }

  onData(chunk: Uint8Array, eos: boolean): void {
    if (this.#ops.stopped()) return;
    if (eos) this.ended = true;
    this.#runData(0, chunk, eos);
  }

  onTrailers(map: HeaderMap): void {
    if (this.#ops.stopped()) return;
    this.ended = true;
    this.#runTrailers(0, map);
  }

  /** proxy_continue_stream (or a Continue return) from the filter at `pos`. */
  continueFrom(pos: number): void {
    if (this.#ops.stopped()) return;
    if (this.#inCall === pos) {
      this.#continueWhileInCall = true;
      return;
    }
    const h = this.#holdAt(pos);
    if (!h) return;
    this.#sync(h);
    if (h.mode === 'stop-all' && (h.chunks.length > 0 || (h.eos && !h.headersEos))) {
      // The body buffered under stop-all has not been seen by this filter yet.
      h.mode = 'deliver';
      if (!this.#deliverHeld(h)) return;
      return;
    }
    this.#release(h);
  }

  /** Calls the holding filter with the accumulated body; releases on Continue. Returns false if still held. */
  #deliverHeld(h: Hold): boolean {
    this.#sync(h);
    h.exposed = h.exposedBytes = undefined;
    const body = new BodyBuffer(concatAll(h.chunks), h.eos && h.trailers === undefined);
    const status = this.#callData(h.pos, body);
    if (this.#ops.stopped()) return false;
    if (status === undefined || status === FilterDataStatus.Continue || this.#takeContinue()) {
      h.chunks = [body.bytes];
      h.size = body.bytes.length;
      if (h.trailers && !h.trailersDelivered) {
        // Trailers that arrived under stop-all reach this filter after its body (Envoy order).
        h.trailersDelivered = true;
        const t = this.#callTrailers(h.pos, h.trailers!);
        if (this.#ops.stopped()) return false;
        if (t === 1 && !this.#takeContinue()) {
          // Headers and body go on; only the trailers stay with this filter until it continues.
          const trailers = h.trailers;
          h.trailers = undefined;
          this.#release(h);
          if (this.#ops.stopped()) return false;
          this.#addHold({
            pos: h.pos, headersHeld: false, headersEos: false, mode: 'stop-all', watermark: false, chunks: [], size: 0, eos: false,
            trailers, trailersDelivered: true, exposed: undefined, exposedBytes: undefined,
          });
          return false;
        }
      }
      this.#release(h);
      return true;
    }
    if (status === FilterDataStatus.StopIterationNoBuffer) {
      h.chunks = [];
      h.size = 0;
    } else {
      h.chunks = body.bytes.length > 0 ? [body.bytes] : [];
      h.size = body.bytes.length;
      h.exposed = body;
      h.exposedBytes = body.bytes;
      h.watermark = status === FilterDataStatus.StopIterationAndWatermark;
      this.#checkLimit(h);
    }
    return false;
  }

  #release(h: Hold): void {
    this.#sync(h);
    this.#holds = this.#holds.filter((x) => x !== h);
    if (this.#paused && !this.#holds.some((x) => x.watermark && x.size > this.#ops.limit())) {
      this.#paused = false;
      this.#ops.pause(false);
    }
    const hasBody = h.chunks.length > 0 || (h.eos && !h.headersEos);
    // What this filter held continues with the filters after it (stopping at the next hold).
    if (h.headersHeld && this.#headers) this.#runHeaders(h.pos + 1, this.#headers, h.headersEos);
    if (this.#ops.stopped()) return;
    if (hasBody) this.#runData(h.pos + 1, concatAll(h.chunks), h.eos && h.trailers === undefined);
    if (this.#ops.stopped()) return;
    if (h.trailers) this.#runTrailers(h.pos + 1, h.trailers);
  }

  /** Folds edits the holding filter made to its exposed body since its last body callback. */
  #sync(h: Hold): void {
    const e = h.exposed;
    if (!e || e.bytes === h.exposedBytes) return;
    const old = h.exposedBytes;
    if (old && old.length > 0 && h.chunks[0] === old) h.chunks.shift();
    if (e.bytes.length > 0) h.chunks.unshift(e.bytes);
    h.size = 0;
    for (const c of h.chunks) h.size += c.length;
    h.exposedBytes = e.bytes;
  }

  #append(h: Hold, chunk: Uint8Array, eos: boolean): void {
    this.#sync(h);
    if (chunk.length > 0) {
      h.chunks.push(chunk);
      h.size += chunk.length;
    }
    if (eos) h.eos = true;
    this.#checkLimit(h);
  }

  #checkLimit(h: Hold): void {
    if (h.size <= this.#ops.limit()) return;
    if (h.watermark) {
      if (!this.#paused) {
        this.#paused = true;
        this.#ops.pause(true);
      }
      return;
    }
    this.#ops.overLimit();
  }

  // One method per callback kind rather than a closure per call: these run for every filter of
  // every request.
  #callHeaders(pos: number, map: HeaderMap, eos: boolean): number | undefined {
    this.#inCall = pos;
    this.#continueWhileInCall = false;
    try {
      return this.#ops.headers(pos, map, eos);
    } finally {
      this.#inCall = -1;
    }
  }

  #callData(pos: number, body: BodyBuffer): number | undefined {
    this.#inCall = pos;
    this.#continueWhileInCall = false;
    try {
      return this.#ops.data(pos, body);
    } finally {
      this.#inCall = -1;
    }
  }

  #callTrailers(pos: number, map: HeaderMap): number | undefined {
    this.#inCall = pos;
    this.#continueWhileInCall = false;
    try {
      return this.#ops.trailers(pos, map);
    } finally {
      this.#inCall = -1;
    }
  }

  #takeContinue(): boolean {
    const c = this.#continueWhileInCall;
    this.#continueWhileInCall = false;
    return c;
  }

  #runHeaders(from: number, map: HeaderMap, eos: boolean): void {
    for (let pos = from; pos < this.#ops.count; pos++) {
      const status = this.#callHeaders(pos, map, eos);
      if (this.#ops.stopped()) return;
      if (status === undefined || status === FilterHeadersStatus.Continue || this.#takeContinue()) continue;
      const stopAll = status !== FilterHeadersStatus.StopIteration;
      this.#addHold({
        pos, headersHeld: true, headersEos: eos, mode: stopAll ? 'stop-all' : 'deliver',
        watermark: status === FilterHeadersStatus.StopAllIterationAndWatermark,
        chunks: [], size: 0, eos, trailers: undefined, exposed: undefined, exposedBytes: undefined,
      });
      return;
    }
    this.headersSent = true;
    this.#ops.sinkHeaders(map, eos);
  }

  #runData(from: number, chunk: Uint8Array, eos: boolean): void {
    let bytes = chunk;
    for (let pos = from; pos < this.#ops.count; pos++) {
      const held = this.#holdAt(pos);
      if (held) {
        // A stopped filter: buffer here; a filter in deliver mode sees the accumulated body.
        this.#append(held, bytes, eos);
        if (held.mode === 'deliver' && !this.#ops.stopped()) this.#deliverHeld(held);
        return;
      }
      const body = new BodyBuffer(bytes, eos);
      const status = this.#callData(pos, body);
      if (this.#ops.stopped()) return;
      bytes = body.bytes;
      if (status === undefined || status === FilterDataStatus.Continue || this.#takeContinue()) continue;
      const keep = status !== FilterDataStatus.StopIterationNoBuffer;
      const h: Hold = {
        pos, headersHeld: false, headersEos: false, mode: 'deliver',
        watermark: status === FilterDataStatus.StopIterationAndWatermark,
        chunks: keep && bytes.length > 0 ? [bytes] : [], size: keep ? bytes.length : 0, eos, trailers: undefined,
        exposed: keep ? body : undefined, exposedBytes: keep ? bytes : undefined,
      };
      this.#addHold(h);
      this.#checkLimit(h);
      return;
    }
    this.#ops.sinkData(bytes, eos);
  }

  #runTrailers(from: number, map: HeaderMap): void {
    for (let pos = from; pos < this.#ops.count; pos++) {
      const held = this.#holdAt(pos);
      if (held) {
        // Trailers wait behind the held data; a filter in deliver mode is told they arrived.
        held.trailers = map;
        if (held.mode === 'stop-all') return;
        held.trailersDelivered = true;
        const status = this.#callTrailers(held.pos, map);
        if (this.#ops.stopped()) return;
        if (status === undefined || status === 0 || this.#takeContinue()) this.continueFrom(held.pos);
        return;
      }
      const status = this.#callTrailers(pos, map);
      if (this.#ops.stopped()) return;
      if (status === undefined || status === 0 || this.#takeContinue()) continue;
      this.#addHold({
        pos, headersHeld: false, headersEos: false, mode: 'stop-all', watermark: false, chunks: [], size: 0, eos: false, trailers: map,
        exposed: undefined, exposedBytes: undefined,
      });
      return;
    }
    this.#ops.sinkTrailers(map);
  }

  /** Drops whatever is held (a local reply or reset took over). */
  abandon(): void {
    this.#holds = [];
  }
}
