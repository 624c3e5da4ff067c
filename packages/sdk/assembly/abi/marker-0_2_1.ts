// Extra entry file chosen by build.ts for `abi: '0.2.1'` (plain Envoy / Istio). build.ts also passes
// `--use WASMGATE_ABI_0_2_1=1`, which the SDK reads (abi.ts) to map header statuses for this ABI.
export function proxy_abi_version_0_2_1(): void {}
