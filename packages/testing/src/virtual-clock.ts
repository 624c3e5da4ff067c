/**
 * A virtual clock: the only source of time and timers the plugin sees in a test. Nothing moves
 * until the test calls {@link VirtualClock.advance}, so ticks, callout delays and callout timeouts
 * happen exactly when the test says, with no real sleep and no flakiness.
 * @module
 */

interface Timer {
  readonly due: number;
  /** Insertion order breaks ties, so two timers due at the same instant fire in the order set. */
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Default wall-clock start: 2025-01-01T00:00:00Z, fixed so logs and timestamps are reproducible. */
export const DEFAULT_START_MS = Date.UTC(2025, 0, 1);

/**
 * Lets promise callbacks run: pending callout answers reach the plugin, and whatever they trigger
 * (a resumed stream, a local reply) happens. setImmediate runs after the microtask queue drained,
 * so one round settles every promise chain that does not wait for a timer; we loop while the
 * caller reports progress, for replyWith() functions that await other promises.
 */
export async function flushMicrotasks(progress: () => number = () => 0, maxRounds = 50): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    const before = progress();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (progress() === before) return;
  }
}

/**
 * Virtual wall and monotonic time plus a timer queue. The harness hands it to the host as
 * `HostPorts.nowNanos/monotonicNanos/setTimer`.
 * @example
 * const plugin = await loadPlugin('plugin.wasm', { config: { tickMs: 100 } });
 * await plugin.clock.advance(250); // proxy_on_tick runs at 100 and 200 ms
 */
export class VirtualClock {
  readonly #startMs: number;
  #elapsedMs = 0;
  #seq = 0;
  #timers: Timer[] = [];
  readonly #afterTimer: () => Promise<void>;

  /**
   * @param startMs wall-clock time at elapsed 0 (ms since the Unix epoch)
   * @param afterTimer awaited after each timer fires, before the next one (the harness settles
   *   callout answers there, so a reply delivered at 100 ms is handled at 100 ms)
   */
  constructor(startMs: number = DEFAULT_START_MS, afterTimer: () => Promise<void> = () => flushMicrotasks()) {
    this.#startMs = startMs;
    this.#afterTimer = afterTimer;
  }

  /** Virtual wall-clock time, ms since the Unix epoch. */
  get now(): number {
    return this.#startMs + this.#elapsedMs;
  }

  /** Milliseconds advanced since the plugin was loaded. */
  get elapsed(): number {
    return this.#elapsedMs;
  }

  /** Wall clock in ns (proxy_get_current_time_nanoseconds, WASI realtime clock). */
  nowNanos(): bigint {
    // Whole milliseconds in BigInt: ms × 1e6 as a double (about 1.7e18) is past 2^53 and would
    // lose the last digits, so request.duration would not be exactly what the test advanced.
    const ms = Math.floor(this.now);
    return BigInt(ms) * 1_000_000n + BigInt(Math.round((this.now - ms) * 1e6));
  }

  /** Monotonic clock in ns; starts at 1 s rather than 0, which some runtimes treat as unset. */
  monotonicNanos(): bigint {
    return BigInt(Math.round((1000 + this.#elapsedMs) * 1e6));
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Schedules `fn` at now + ms (ms ≤ 0: at the next advance, even advance(0)); returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { due: this.#elapsedMs + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, each at its own
   * instant (a tick period of 100 fires at 100, 200, … even inside one advance(1000)). Timers
   * scheduled while advancing fire too if they fall due within the window. Await it: callout
   * answers released by a timer are delivered before the next timer fires.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`clock.advance(ms) needs a finite ms ≥ 0, got ${ms}`);
    const target = this.#elapsedMs + ms;
    await this.#afterTimer();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next && !t.cancelled);
      this.#elapsedMs = Math.max(this.#elapsedMs, next.due);
      next.fn();
      await this.#afterTimer();
    }
    this.#elapsedMs = target;
  }

  #nextDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.due > target) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Cancels every timer (plugin.close()). */
  cancelAll(): void {
    for (const t of this.#timers) t.cancelled = true;
    this.#timers = [];
  }
}
