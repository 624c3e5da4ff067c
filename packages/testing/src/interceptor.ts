/**
 * What HTTP and Redis interceptors share (undici's MockAgent model): a predicate, an answer, how
 * many calls it may answer, an optional delay on the virtual clock, and the list that finds the
 * first live interceptor for a call and reports the ones never used.
 * @module
 */
import type { VirtualClock } from './virtual-clock.js';

/** Matches one string field of a call: exact text, a RegExp, or a predicate. */
export type Matcher = string | RegExp | ((value: string) => boolean);

/** @internal */
export function matchField(m: Matcher | undefined, value: string, ignoreCase = false): boolean {
  if (m === undefined) return true;
  if (typeof m === 'string') return ignoreCase ? m.toLowerCase() === value.toLowerCase() : m === value;
  if (m instanceof RegExp) {
    m.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
    return m.test(value);
  }
  return m(value);
}

/** @internal Quotes a value for the code shown in hints. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** @internal One registered interceptor. */
export class Interceptor<C, A> {
  readonly description: string;
  readonly #predicate: (call: C) => boolean;
  answer: ((call: C) => A | Promise<A>) | undefined;
  delayMs = 0;
  times = 1;
  persist = false;
  used = 0;

  constructor(description: string, predicate: (call: C) => boolean) {
    this.description = description;
    this.#predicate = predicate;
  }

  /** Live (not used up, answer defined) and matching. */
  accepts(call: C): boolean {
    if (!this.answer) return false;
    if (!this.persist && this.used >= this.times) return false;
    return this.#predicate(call);
  }

  /** Never used, or used fewer times than .times(n) asked for. */
  get pending(): boolean {
    return this.persist ? this.used === 0 : this.used < this.times;
  }
}

/**
 * Returned by `.reply(...)`, `.replyWith(...)`, `.reset()` and `.fail()`: tunes how the
 * interceptor answers. Every method returns the scope, so calls chain.
 * @example
 * plugin.http.intercept({ cluster: 'auth' }).reply(200, 'alice').delay(50).times(2);
 */
export class InterceptScope {
  readonly #ic: Interceptor<unknown, unknown>;

  /** @internal */
  constructor(ic: Interceptor<never, unknown>) {
    this.#ic = ic as Interceptor<unknown, unknown>;
  }

  /** Answers `ms` milliseconds of virtual time after the call (a delay ≥ the call's timeout times it out). */
  delay(ms: number): this {
    if (!(ms >= 0)) throw new RangeError(`delay(ms) needs ms ≥ 0, got ${ms}`);
    this.#ic.delayMs = ms;
    return this;
  }

  /** Answers the next `n` matching calls (default 1). */
  times(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`times(n) needs an integer n ≥ 1, got ${n}`);
    this.#ic.times = n;
    return this;
  }

  /** Answers every matching call from now on (pending only while never used). */
  persist(): this {
    this.#ic.persist = true;
    return this;
  }
}

/** @internal The interceptors of one protocol, in registration order (the first live match wins). */
export class InterceptorList<C, A> {
  readonly #all: Interceptor<C, A>[] = [];

  add(ic: Interceptor<C, A>): Interceptor<C, A> {
    this.#all.push(ic);
    return ic;
  }

  take(call: C): Interceptor<C, A> | undefined {
    const ic = this.#all.find((i) => i.accepts(call));
    if (ic) ic.used++;
    return ic;
  }

  pending(): string[] {
    return this.#all.filter((i) => i.answer && i.pending).map((i) => `${i.description} (used ${i.used} of ${i.persist ? 'any' : i.times})`);
  }

  clear(): void {
    this.#all.length = 0;
  }
}

/**
 * Produces an interceptor's decision on the virtual clock: after `delayMs`, unless the call's
 * timeout (`timeoutMs` > 0) comes first; a delay equal to the timeout times out, as a response
 * racing Envoy's timer loses. `answer` must not reject (map failures to a decision).
 * @internal
 */
export function decideOnClock<D>(clock: VirtualClock, delayMs: number, timeoutMs: number, answer: () => Promise<D>, timedOut: D): Promise<D> {
  return new Promise<D>((resolve) => {
    let settled = false;
    const cancels: (() => void)[] = [];
    const finish = (d: D) => {
      if (settled) return;
      settled = true;
      for (const cancel of cancels) cancel();
      resolve(d);
    };
    if (timeoutMs > 0) cancels.push(clock.setTimer(timeoutMs, () => finish(timedOut)));
    const run = () => void answer().then(finish);
    if (delayMs > 0) cancels.push(clock.setTimer(delayMs, run));
    else run();
  });
}
