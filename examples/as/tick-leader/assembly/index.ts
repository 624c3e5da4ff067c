// tick-leader: periodic work done once across all VMs. Every VM (one per gateway worker, per Envoy
// worker thread on Higress) ticks every `tickMs`; each tick is a leader-election round
// (doLeaderElection: a lease in shared data), and only the VM holding the lease does the work: it
// increments the shared counter `tick-leader:count` and logs "leader tick <n> by vm <id>".
// Each response says which VM served it and what it knows:
//   x-tick-vm (this VM's id), x-tick-leader (true/false), x-tick-count (the shared counter),
//   x-tick-ticks (ticks this VM ran, leading or not).
//   { "tickMs": 1000 }
export * from "@wasmgate/sdk/assembly/exports";
import {
  Action, getPluginContext, getSharedData, getVmId, HttpContext, JsonValue, log, registerTickFunc, setCtx, setSharedDataString,
} from "@wasmgate/sdk";

export const COUNTER_KEY = "tick-leader:count";

class Config {
  tickMs: i64 = 1000;
}

let ticks: i64 = 0;

/** Adds 1 to the shared counter with compare-and-swap; the new value, or -1 if others kept winning. */
function incrementShared(): i64 {
  for (let attempt = 0; attempt < 8; attempt++) {
    const cur = getSharedData(COUNTER_KEY);
    const next: i64 = cur === null ? 1 : I64.parseInt(cur.text()) + 1;
    if (setSharedDataString(COUNTER_KEY, next.toString(), cur === null ? 0 : cur.cas) == 0) return next;
  }
  return -1;
}

function onTick(): void {
  ticks++;
  const plugin = getPluginContext();
  plugin.doLeaderElection();
  if (!plugin.isLeader()) return;
  const n = incrementShared();
  log.info("leader tick " + n.toString() + " by vm " + getVmId());
}

function parseConfig(json: JsonValue, config: Config): string | null {
  config.tickMs = json.get("tickMs").asI64(1000);
  if (config.tickMs < 1) return "tickMs must be positive";
  registerTickFunc(config.tickMs, onTick);
  return null;
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  const count = getSharedData(COUNTER_KEY);
  ctx.replaceResponseHeader("x-tick-vm", getVmId());
  ctx.replaceResponseHeader("x-tick-leader", getPluginContext().isLeader() ? "true" : "false");
  ctx.replaceResponseHeader("x-tick-count", count !== null ? count.text() : "0");
  ctx.replaceResponseHeader("x-tick-ticks", ticks.toString());
  return Action.Continue;
}

setCtx<Config>("tick-leader", {
  parseConfig: parseConfig,
  onResponseHeaders: onResponseHeaders,
});
