// PluginContext: the root (one configured plugin instance) as wasm-go's PluginContext exposes it.
// Leader election: one VM among all VMs of the plugin holds a lease in shared data
// (`higress_wasm_vm_lease:<plugin name>`, value `{"vmID":"<uuid>","timestamp":<unix s>}`). Each
// doLeaderElection() is one round, as in wasm-go: plugins call it from a tick function to keep renewing;
// a lease not renewed for more than 60 s may be taken over. CAS makes the take-over race-free.

import { getCurrentTimeNanos, randomBytes } from "./host";
import { JsonValue } from "./json";
import { getSharedData, setSharedDataString } from "./shared-data";
import { currentRoot, roots } from "./state";

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

  /** One election round: takes or renews the lease when free, ours or stale; isLeader() says the outcome. */
  doLeaderElection(): void {
    if (!roots.has(this.id)) return;
    roots.get(this.id).leader = tryLease();
  }

  isLeader(): bool {
    return roots.has(this.id) && roots.get(this.id).leader;
  }

  /**
   * wasm-go's rule-level config isolation: call it in onPluginStartOrReload. Then a `_rules_` entry
   * that fails to parse no longer rejects the whole configuration: the rule's last configuration that
   * parsed (kept in this VM, keyed by the rule's match conditions) is used instead, or the rule is
   * skipped when there is none; the configuration fails only when no rule is left.
   */
  enableRuleLevelConfigIsolation(): void {
    if (roots.has(this.id)) roots.get(this.id).ruleLevelIsolation = true;
  }

  isRuleLevelConfigIsolation(): bool {
    return roots.has(this.id) && roots.get(this.id).ruleLevelIsolation;
  }
}

/** @internal one election round; true when this VM holds the lease afterwards. */
export function tryLease(): bool {
  const key = LEASE_KEY_PREFIX + leaseName;
  const now = <i64>(getCurrentTimeNanos() / 1_000_000_000);
  const me = getVmId();
  const value = "{\"vmID\":\"" + me + "\",\"timestamp\":" + now.toString() + "}";
  const cur = getSharedData(key);
  if (cur === null) {
    // Proxy-Wasm has no "create if absent": a set with CAS 0 always wins, so two VMs whose first
    // rounds interleave could both write. Read the lease back: only the VM it names leads. (A window
    // remains between one VM's read-back and another's write; the next round, a CAS renewal, ends it.)
    if (setSharedDataString(key, value, 0) != 0) return false;
    const mine = getSharedData(key);
    return mine !== null && JsonValue.parse(mine.text()).get("vmID").asString() == me;
  }
  const lease = JsonValue.parse(cur.text());
  const holder = lease.get("vmID").asString();
  const ts = lease.get("timestamp").asI64();
  if (holder == me || now - ts > LEASE_SECONDS) return setSharedDataString(key, value, cur.cas) == 0;
  return false;
}

/** The PluginContext of the root whose callback (or stream callback) is running. */
export function getPluginContext(): PluginContext {
  return new PluginContext(currentRoot());
}
