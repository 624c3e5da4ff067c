// PluginContext: the root (one configured plugin instance) as wasm-go's PluginContext exposes it.
// Leader election: one VM among all VMs of the plugin holds a lease in shared data
// (`higress_wasm_vm_lease:<plugin name>`, value `{"vmID":"<uuid>","timestamp":<unix s>}`), renewed
// on every tick; a lease older than 60 s may be taken over. CAS makes the take-over race-free.

import { getCurrentTimeNanos, randomBytes, setTickPeriod } from "./host";
import { JsonValue } from "./json";
import { getSharedData, setSharedDataString } from "./shared-data";
import { currentRoot, roots } from "./state";
import { TICK_PERIOD_MS } from "./tick";

export const LEASE_KEY_PREFIX = "higress_wasm_vm_lease:";
export const LEASE_SECONDS: i64 = 60;

let vmId = "";
let leaseName = "";

/** @internal set by setCtx's name. */
export function setLeaseName(name: string): void { leaseName = name; }

/** This VM's random id (a v4 UUID from WASI random_get), made on first use. */
export function getVmId(): string {
  if (vmId.length == 0) {
    const b = randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let s = "";
    for (let i = 0; i < 16; i++) {
      if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
      s += (<u32>b[i]).toString(16).padStart(2, "0");
    }
    vmId = s;
  }
  return vmId;
}

export class PluginContext {
  constructor(public id: u32) {}

  /** Opts in: tries to take the lease now and renews/retakes it on every tick. */
  doLeaderElection(): void {
    if (!roots.has(this.id)) return;
    const root = roots.get(this.id);
    root.leaderElection = true;
    setTickPeriod(TICK_PERIOD_MS);
    root.leader = tryLease();
  }

  isLeader(): bool {
    return roots.has(this.id) && roots.get(this.id).leader;
  }
}

/** @internal one election round; true when this VM holds the lease afterwards. */
export function tryLease(): bool {
  const key = LEASE_KEY_PREFIX + leaseName;
  const now = <i64>(getCurrentTimeNanos() / 1_000_000_000);
  const me = getVmId();
  const value = "{\"vmID\":\"" + me + "\",\"timestamp\":" + now.toString() + "}";
  const cur = getSharedData(key);
  if (cur === null) return setSharedDataString(key, value, 0) == 0;
  const lease = JsonValue.parse(cur.text());
  const holder = lease.get("vmID").asString();
  const ts = lease.get("timestamp").asI64();
  if (holder == me || now - ts >= LEASE_SECONDS) return setSharedDataString(key, value, cur.cas) == 0;
  return false;
}

/** @internal tick hook: renew for every root that asked for election. */
export function leaderTick(rootId: u32): void {
  if (!roots.has(rootId)) return;
  const root = roots.get(rootId);
  if (root.leaderElection) root.leader = tryLease();
}

/** The PluginContext of the root whose callback (or stream callback) is running. */
export function getPluginContext(): PluginContext {
  return new PluginContext(currentRoot());
}
