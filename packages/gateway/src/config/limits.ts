/**
 * The resource limits a plugin's VMs run under: its own `spec.wasmgate.limits`, else the Gateway's
 * `limits` defaults (which have defaults of their own, see resolve-gateway.ts).
 * @module
 */
import type { GatewaySettings, WasmPluginConfig } from './types.js';

export interface EffectiveLimits {
  /** Linear-memory cap per VM, MiB (memory.grow past it fails inside the guest). */
  readonly maxMemoryMiB: number;
  /** CPU deadline of one callback (HTTP, tick, callout, queue), ms. */
  readonly callTimeoutMs: number;
  /** CPU deadline of each start-up call (_initialize/main/_start, proxy_on_vm_start, proxy_on_configure), ms. */
  readonly startTimeoutMs: number;
}

export function pluginLimits(p: WasmPluginConfig, g: GatewaySettings): EffectiveLimits {
  return {
    maxMemoryMiB: p.limits?.maxMemoryMiB ?? g.limits.maxMemoryMiB,
    callTimeoutMs: p.limits?.callTimeoutMs ?? g.limits.callTimeoutMs,
    startTimeoutMs: p.limits?.startTimeoutMs ?? g.limits.startTimeoutMs,
  };
}

/** 64 KiB Wasm pages in `mib` MiB. */
export function mibToPages(mib: number): number {
  return mib * 16;
}
