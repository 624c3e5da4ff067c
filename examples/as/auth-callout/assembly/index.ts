// auth-callout: asks an auth service about every request before it goes upstream (an HTTP callout
// with ClusterClient). The request waits (HeaderStopAllIterationAndWatermark) until the answer:
//   200          → the answer's user header (default `x-user`) is copied into the request, which resumes;
//   401          → 401 locally; any other 4xx/2xx/3xx → 403 locally;
//   5xx, a timeout (the host's 504) or a reset (502), or a call the host refuses → 503 locally.
// It fails closed: when the auth service cannot answer, no request gets through.
// A client's own copy of the user header is always removed, so it cannot be forged.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, Cluster, ClusterClient, FQDNCluster, HttpContext, JsonValue, K8sCluster, log, setCtx } from "@wasmgate/sdk";

class Config {
  client: ClusterClient | null = null;
  path: string = "/check";
  userHeader: string = "x-user";
  timeoutMs: u32 = 500;
}

/** `{ "fqdn": "auth.internal", "port": 8080 }` or `{ "service": "auth", "namespace": "default", "port": 8080 }`. */
function clusterFrom(json: JsonValue): Cluster | null {
  const port = json.get("port").asI64(80);
  if (json.get("fqdn").isString()) return new FQDNCluster(json.get("fqdn").asString(), port);
  if (json.get("service").isString()) return new K8sCluster(json.get("service").asString(), json.get("namespace").asString("default"), port);
  return null;
}

function parseConfig(json: JsonValue, config: Config): string | null {
  const cluster = clusterFrom(json.get("authService"));
  if (cluster === null) return "authService needs \"fqdn\" or \"service\" (with \"port\", and \"namespace\" for a service)";
  config.client = new ClusterClient(cluster);
  config.path = json.get("path").asString("/check");
  if (!config.path.startsWith("/")) return "path must start with /";
  config.userHeader = json.get("userHeader").asString("x-user").toLowerCase();
  const timeout = json.get("timeoutMs").asI64(500);
  if (timeout <= 0) return "timeoutMs must be positive";
  config.timeoutMs = <u32>timeout;
  return null;
}

function reply(ctx: HttpContext, status: u32, text: string): void {
  ctx.sendHttpResponse(status, [["content-type", "text/plain"]], String.UTF8.encode(text));
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  ctx.removeRequestHeader(config.userHeader);
  const authorization = ctx.getRequestHeader("authorization");
  if (authorization === null || authorization.length == 0) {
    reply(ctx, 401, "missing authorization");
    return Action.HeaderStopIteration;
  }
  ctx.setContext("user-header", config.userHeader);
  const token = config.client!.get(config.path, [["authorization", authorization]], onAuthAnswer, config.timeoutMs);
  if (token == 0) {
    reply(ctx, 503, "auth service unavailable");
    return Action.HeaderStopIteration;
  }
  return Action.HeaderStopAllIterationAndWatermark;
}

function onAuthAnswer(ctx: HttpContext, status: i32, headers: string[][], body: ArrayBuffer): void {
  if (status == 200) {
    const name = ctx.getContext("user-header")!;
    for (let i = 0; i < headers.length; i++) {
      if (headers[i][0] == name) { ctx.addRequestHeader(name, headers[i][1]); break; }
    }
    ctx.resumeHttpRequest();
    return;
  }
  if (status >= 500) {
    log.warn("auth service answered " + status.toString() + ": failing closed");
    reply(ctx, 503, "auth service unavailable");
  } else if (status == 401) {
    reply(ctx, 401, "unauthorized");
  } else {
    reply(ctx, 403, "forbidden");
  }
}

setCtx<Config>("auth-callout", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
});
