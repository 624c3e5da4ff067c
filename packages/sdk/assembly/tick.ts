// Tick functions as wasm-go runs them: register them while configuring; a configure that registered any
// sets the tick period to 100 ms, and each proxy_on_tick runs the functions whose period has elapsed by
// the host's clock (each runs at the first tick, then every period). The list is VM-wide and cleared at
// every configure, so a reload registers afresh.

import { getCurrentTimeNanos, setTickPeriod } from "./host";

export const TICK_PERIOD_MS: u32 = 100;

class TickFunc {
  constructor(public periodMs: i64, public fn: () => void, public lastMs: i64) {}
}

const funcs = new Array<TickFunc>();

function nowMs(): i64 { return <i64>(getCurrentTimeNanos() / 1_000_000); }

/** Runs `fn` every `periodMs` (at 100 ms granularity). Call it while configuring (parseConfig). */
export function registerTickFunc(periodMs: i64, fn: () => void): void {
  funcs.push(new TickFunc(periodMs, fn, 0));
}

/** @internal after a successful configure. */
export function startTicking(): void {
  if (funcs.length > 0) setTickPeriod(TICK_PERIOD_MS);
}

/** @internal */
export function resetTickFuncs(): void {
  funcs.length = 0;
}

/** @internal true when some tick work is registered. */
export function hasTickFuncs(): bool { return funcs.length > 0; }

/** @internal called from proxy_on_tick. */
export function runTickFuncs(): void {
  const now = nowMs();
  for (let i = 0; i < funcs.length; i++) {
    const f = funcs[i];
    if (now - f.lastMs >= f.periodMs) {
      f.lastMs = now;
      f.fn();
    }
  }
}
