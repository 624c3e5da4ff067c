// headers-bench with @wasmgate/sdk: the "add 20, get 20, remove 20 request headers" workload of the
// Alibaba Cloud plug-in performance reference, observably identical to fixtures/go/headers-bench:
// on request headers it adds x-bench-0..19 = value-0..19, reads each back and compares it, removes
// all 20 and continues, so the upstream sees the request as the client sent it; nothing is logged.
// If a read gives another value (or none), it logs the step at error level and answers 500 itself:
//   headers-bench: get x-bench-<i>: got "<value>", want "value-<i>"
// (see README.md for the differences in the failure texts that only a misbehaving host can cause).
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, log, setCtx } from "@wasmgate/sdk";

const BENCH_COUNT = 20;
const keys = new Array<string>(BENCH_COUNT);
const values = new Array<string>(BENCH_COUNT);
for (let i = 0; i < BENCH_COUNT; i++) {
  keys[i] = "x-bench-" + i.toString();
  values[i] = "value-" + i.toString();
}

const HEX = "0123456789abcdef";

/** Double-quoted like Go's strconv.Quote for ASCII (non-ASCII is kept as is), as the Go fixture prints. */
function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c >= 0x07 && c <= 0x0d) out += "\\" + "abtnvfr".charAt(c - 0x07);
    else if (c < 0x20 || c == 0x7f) out += "\\x" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** Logs "headers-bench: <step>" at error and answers 500 with it, as the Go fixture does. */
function failed(ctx: HttpContext, step: string): Action {
  const msg = "headers-bench: " + step;
  log.plain.error(msg);
  ctx.sendHttpResponseWithDetail(500, "headers_bench_failed", [["content-type", "text/plain"]], String.UTF8.encode(msg));
  return Action.HeaderStopIteration;
}

class Config {}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  for (let i = 0; i < BENCH_COUNT; i++) {
    if (!ctx.addRequestHeader(keys[i], values[i])) return failed(ctx, "add " + keys[i] + ": failed");
  }
  for (let i = 0; i < BENCH_COUNT; i++) {
    const got = ctx.getRequestHeader(keys[i]);
    // The SDK answers null for any failed read; a lost header is NotFound (status 1) in the Go text.
    if (got === null) return failed(ctx, "get " + keys[i] + ": status 1");
    if (got != values[i]) return failed(ctx, "get " + keys[i] + ": got " + quote(got) + ", want " + quote(values[i]));
  }
  for (let i = 0; i < BENCH_COUNT; i++) {
    if (!ctx.removeRequestHeader(keys[i])) return failed(ctx, "remove " + keys[i] + ": failed");
  }
  return Action.Continue;
}

setCtx<Config>("headers-bench", {
  onRequestHeaders: onRequestHeaders,
});
