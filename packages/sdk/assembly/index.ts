// The public AssemblyScript API of @wasmgate/sdk. Entry files import from "@wasmgate/sdk" and re-export
// "@wasmgate/sdk/assembly/exports".

export { Action } from "./action";
export { ABI_0_2_1 } from "./abi";
export { HttpContext, RouteCallback } from "./http-context";
export { JsonValue, JsonKind, jsonQuote } from "./json";
export { log, LogLevel } from "./log";
export { matchDomain, matchService, normalizeHost } from "./matcher";
export { PluginOptions, setCtx } from "./plugin";
export { PluginContext, getPluginContext, getVmId } from "./plugin-context";
export { Cluster, FQDNCluster, K8sCluster, StaticIpCluster, DnsCluster, RouteCluster, TargetCluster } from "./cluster";
export { ClusterClient, HttpCallback } from "./http-client";
export { RedisClient, RedisCallback } from "./redis";
export { RespValue, RespKind, encodeCommand, parseResp } from "./resp";
export { registerTickFunc } from "./tick";
export { Metric, defineCounter, defineGauge, defineHistogram } from "./metrics";
export { SharedValue, getSharedData, setSharedData, setSharedDataString } from "./shared-data";
export { getCurrentTimeNanos, getProperty, getPropertyString, setProperty } from "./host";
export { currentStream } from "./state";
