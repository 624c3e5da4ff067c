// Extra entry file chosen by build.ts for `abi: '0.2.100'` (Higress, the default). Its only export
// is the ABI marker the host scans for. It imports nothing, so it can be passed to asc by any path.
export function proxy_abi_version_0_2_100(): void {}
