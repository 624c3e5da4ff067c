// Test plugin: callouts on every cluster kind, Redis, tick functions, leader election, metrics,
// shared data, user attributes and route calls, chosen per request by the `x-mode` header.
export * from "@wasmgate/sdk/assembly/exports";
import {
  Action, ClusterClient, Cluster, defineCounter, defineGauge, defineHistogram, getCurrentTimeNanos, DnsCluster, FQDNCluster, getPluginContext, getSharedData, HttpContext,
  JsonValue, K8sCluster, log, Metric, PluginContext, RedisClient, registerTickFunc, RespValue, RouteCluster, setCtx,
  setSharedDataString, StaticIpCluster, TargetCluster,
} from "@wasmgate/sdk";

class Config {
  redis: RedisClient | null = null;
  leader: bool = false;
}

let ticks: Metric | null = null;
let tickCalls = 0;
let tickClient: ClusterClient | null = null;
let electing = false;

function onTick(): void {
  tickCalls++;
  if (electing) getPluginContext().doLeaderElection();
  ticks!.increment(1);
  setSharedDataString("ticks", tickCalls.toString());
  if (tickCalls == 2 && tickClient !== null) tickClient!.get("/from-tick", [], onTickCallout);
}

function onTickCallout(ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer): void {
  log.info("tick callout: " + status.toString() + " inStream=" + (ctx.inStream() ? "true" : "false"));
}

function parseConfig(json: JsonValue, config: Config): string | null {
  const r = json.get("redis");
  if (r.exists()) {
    const client = new RedisClient(new FQDNCluster(r.get("service").asString(), r.get("port").asI64(6379)));
    client.init(r.get("username").asString(), r.get("password").asString(), <u32>r.get("timeout").asI64(1000), r.get("db").asI32(0));
    config.redis = client;
  }
  const t = json.get("tickMs");
  if (t.exists()) {
    ticks = defineCounter("features_ticks");
    tickClient = new ClusterClient(new TargetCluster("tick-target", "tick.host"));
    registerTickFunc(t.asI64(), onTick);
  }
  config.leader = json.get("leader").asBool();
  electing = config.leader;
  return null;
}

function onStart(plugin: PluginContext): string | null {
  if (plugin.id == 0) return "no root";
  return null;
}

function clusterFor(kind: string): Cluster {
  if (kind == "k8s") return new K8sCluster("auth", "", 8080, "v1");
  if (kind == "static") return new StaticIpCluster("auth", 80, "auth.local");
  if (kind == "dns") return new DnsCluster("auth", "auth.example.com", 443);
  if (kind == "route") return new RouteCluster();
  if (kind == "target") return new TargetCluster("my-cluster", "target.host");
  return new FQDNCluster("auth.svc", 8080);
}

function onCallout(ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer): void {
  if (status != 200) {
    ctx.sendHttpResponse(403, [["x-callout-status", status.toString()]], String.UTF8.encode("denied"));
    return;
  }
  ctx.addRequestHeader("x-callout-status", status.toString());
  ctx.addRequestHeader("x-callout-body", String.UTF8.decode(body));
  for (let i = 0; i < headers.length; i++) {
    if (headers[i][0] == "x-user") ctx.addRequestHeader("x-user", headers[i][1]);
  }
  ctx.resumeHttpRequest();
}

function onRedis(ctx: HttpContext, reply: RespValue): void {
  if (reply.isError()) {
    ctx.sendHttpResponse(503, [], String.UTF8.encode("redis: " + reply.text));
    return;
  }
  ctx.addRequestHeader("x-hits", reply.asString());
  ctx.resumeHttpRequest();
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  const m = ctx.getRequestHeader("x-mode");
  const mode = m !== null ? m : "";
  if (mode == "callout") {
    const kind = ctx.getRequestHeader("x-cluster");
    const client = new ClusterClient(clusterFor(kind !== null ? kind : ""));
    const token = client.get("/check?x=1", [["x-a", "1"], [":path", "/ignored"]], onCallout, 1000);
    return token != 0 ? Action.HeaderStopAllIterationAndWatermark : Action.Continue;
  }
  if (mode == "callout-url") {
    const client = new ClusterClient(new FQDNCluster("auth.svc", 8080));
    client.post("http://override.host/p", [], String.UTF8.encode("payload"), onCallout);
    return Action.HeaderStopAllIterationAndWatermark;
  }
  if (mode == "redis") {
    const op = ctx.getRequestHeader("x-redis-op");
    const redis = config.redis!;
    let token: u32 = 0;
    if (op !== null && op == "setex") token = redis.setEx("k", "v", 10, onRedis);
    else if (op !== null && op == "eval") token = redis.eval("return 1", 1, ["k1"], ["a1", "a2"], onRedis);
    else token = redis.incr("hits", onRedis);
    if (token == 0) {
      ctx.sendHttpResponse(503, [], String.UTF8.encode("redis not ready"));
      return Action.Continue;
    }
    return Action.HeaderStopAllIterationAndWatermark;
  }
  if (mode == "leader") {
    const p = getPluginContext();
    if (config.leader) p.doLeaderElection();
    ctx.addRequestHeader("x-is-leader", p.isLeader() ? "true" : "false");
    const lease = getSharedData("higress_wasm_vm_lease:features");
    ctx.addRequestHeader("x-lease", lease !== null ? lease.text() : "");
    return Action.Continue;
  }
  if (mode == "metrics") {
    const g = defineGauge("features_inflight");
    g.record(5);
    g.increment(-2);
    const h = defineHistogram("features_latency_ms");
    h.record(12);
    h.record(30);
    const c = defineCounter("features_requests");
    c.increment(3);
    ctx.addRequestHeader("x-gauge", g.get().toString());
    ctx.addRequestHeader("x-counter", c.get().toString());
    ctx.addRequestHeader("x-now-ms", (getCurrentTimeNanos() / 1_000_000).toString());
    return Action.Continue;
  }
  if (mode == "attrs") {
    ctx.setUserAttribute("user", "alice \"A\"");
    ctx.setUserAttributeNumber("n", 3);
    ctx.writeUserAttributeToLog();
    ctx.writeUserAttributeToTrace();
    ctx.disableReroute();
    ctx.setRequestBodyBufferLimit(1024);
    return Action.Continue;
  }
  if (mode == "route-call") return Action.HeaderStopIteration;
  return Action.Continue;
}

function onRouteResponse(ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer): void {
  ctx.replaceResponseBody(String.UTF8.encode("routed " + status.toString() + ": " + String.UTF8.decode(body)));
}

function onRequestBody(ctx: HttpContext, config: Config, body: ArrayBuffer): Action {
  const m = ctx.getRequestHeader("x-mode");
  if (m !== null && m == "route-call") {
    ctx.routeCall("POST", "http://other.test/new?x=1", [["x-r", "1"]], String.UTF8.encode("new body"), onRouteResponse);
  }
  return Action.Continue;
}

function onStreamDone(ctx: HttpContext, config: Config): void {
  log.debug("done " + ctx.path());
}

setCtx<Config>("features", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onRequestBody: onRequestBody,
  onStreamDone: onStreamDone,
  onPluginStartOrReload: onStart,
});
