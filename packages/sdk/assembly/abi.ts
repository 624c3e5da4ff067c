// Which Proxy-Wasm ABI this module was built for. build.ts pairs the `proxy_abi_version_0_2_1` marker
// entry with `--use WASMGATE_ABI_0_2_1=1`; without it the module carries the Higress 0.2.100 marker.
// It matters for header statuses: on 0.2.1 Envoy turns a header return of 1 into stop-all (4), so there
// is no "hold headers, keep reading the body" state (Higress RouteCall needs it).

// @ts-ignore: a compile-time constant that exists only when build.ts defines it
export const ABI_0_2_1: bool = isDefined(WASMGATE_ABI_0_2_1);
