// VM-wide state shared by the dispatchers: the registered plugin, live root and stream contexts, and the
// stream whose callback is running (so a callout knows which stream to resume later).

import { HttpContext } from "./http-context";
import { RuleMatch } from "./matcher";

/** Per-root configuration as the matcher sees it; the typed configs live in PluginImpl<C>. */
export class RootState {
  id: u32;
  configured: bool = false;
  hasGlobal: bool = false;
  rules: RuleMatch[] = [];
  leader: bool = false;
  /** PluginContext.enableRuleLevelConfigIsolation() was called for this root (wasm-go's switch). */
  ruleLevelIsolation: bool = false;
  constructor(id: u32) { this.id = id; }
}

export const roots = new Map<u32, RootState>();
export const streams = new Map<u32, HttpContext>();

/** The stream whose callback (or callout callback) is running; null in root callbacks. */
let current: HttpContext | null = null;
/** The root whose callback is running (or that owns the current stream). */
let currentRootId: u32 = 0;

export function setCurrent(ctx: HttpContext | null, rootId: u32): void {
  current = ctx;
  currentRootId = rootId;
}
export function currentStream(): HttpContext | null { return current; }
export function currentRoot(): u32 { return currentRootId; }
