// redis-rate-limit: a fixed-window rate limiter shared by every gateway instance through Redis.
// Each request runs one EVAL (INCR the window's counter; on its first hit, EXPIRE it after the window)
// keyed by a request header (e.g. an API key) or, without one, the client's IP address.
//   within the limit → upstream; the response carries x-ratelimit-limit / -remaining / -reset
//   over the limit   → 429 locally with the same headers (remaining 0) and `too many requests`
//   Redis down, slow or answering an error → the request goes through (fail-open), with a warning log.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, FQDNCluster, HttpContext, JsonValue, log, RedisClient, RespValue, setCtx } from "@wasmgate/sdk";

// INCR + EXPIRE in one round trip, atomically: a window's key expires `ARGV[1]` seconds after its
// first request. Returns { count, seconds until the window resets }.
const SCRIPT = "local c = redis.call('INCR', KEYS[1]) " +
  "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end " +
  "return {c, redis.call('TTL', KEYS[1])}";

class Config {
  redis: RedisClient | null = null;
  limit: i64 = 10;
  windowSeconds: i64 = 60;
  keyHeader: string = "";
  keyPrefix: string = "ratelimit:";
}

function parseConfig(json: JsonValue, config: Config): string | null {
  const r = json.get("redis");
  if (!r.get("service").isString()) return "redis.service is required (a Service FQDN, e.g. redis.default.svc.cluster.local)";
  const client = new RedisClient(new FQDNCluster(r.get("service").asString(), r.get("port").asI64(6379)));
  // A failed init is not fatal: the SDK retries it before each command (fail-open meanwhile).
  client.init(r.get("username").asString(), r.get("password").asString(), <u32>r.get("timeoutMs").asI64(1000), r.get("database").asI32(0));
  config.redis = client;
  config.limit = json.get("limit").asI64(10);
  config.windowSeconds = json.get("windowSeconds").asI64(60);
  if (config.limit < 1) return "limit must be at least 1";
  if (config.windowSeconds < 1) return "windowSeconds must be at least 1";
  config.keyHeader = json.get("keyHeader").asString("").toLowerCase();
  config.keyPrefix = json.get("keyPrefix").asString("ratelimit:");
  return null;
}

/** The IP of `source.address` (`1.2.3.4:5678` or `[::1]:5678`), "" when unknown. */
function clientIp(ctx: HttpContext): string {
  const a = ctx.getPropertyString(["source", "address"]);
  if (a === null) return "";
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    return end > 0 ? a.substring(1, end) : a;
  }
  const colon = a.lastIndexOf(":");
  return colon > 0 && a.indexOf(":") == colon ? a.substring(0, colon) : a;
}

function onRequestHeaders(ctx: HttpContext, config: Config): Action {
  const given = config.keyHeader.length > 0 ? ctx.getRequestHeader(config.keyHeader) : null;
  const id = given !== null && given.length > 0 ? "key:" + given : "ip:" + clientIp(ctx);
  ctx.setContext("limit", config.limit.toString());
  const token = config.redis!.eval(SCRIPT, 1, [config.keyPrefix + id], [config.windowSeconds.toString()], onCount);
  if (token == 0) {
    log.warn("rate limit not checked: redis call could not be sent (failing open)");
    return Action.Continue;
  }
  return Action.HeaderStopAllIterationAndWatermark;
}

function onCount(ctx: HttpContext, reply: RespValue): void {
  const items = reply.isError() || reply.isNull() ? [] as RespValue[] : reply.asArray();
  if (items.length != 2) {
    log.warn("rate limit not checked: redis answered " + (reply.isError() ? reply.text : "an unexpected reply") + " (failing open)");
    ctx.resumeHttpRequest();
    return;
  }
  const limit = I64.parseInt(ctx.getContext("limit")!);
  const count = items[0].asI64();
  const ttl = items[1].asI64();
  const remaining = count >= limit ? 0 : limit - count;
  const headers: string[][] = [
    ["x-ratelimit-limit", limit.toString()],
    ["x-ratelimit-remaining", remaining.toString()],
    ["x-ratelimit-reset", (ttl > 0 ? ttl : 0).toString()],
  ];
  if (count > limit) {
    headers.push(["content-type", "text/plain"]);
    ctx.sendHttpResponse(429, headers, String.UTF8.encode("too many requests"));
    return;
  }
  ctx.setContextObject<string[][]>("headers", headers);
  ctx.resumeHttpRequest();
}

function onResponseHeaders(ctx: HttpContext, config: Config): Action {
  const headers = ctx.getContextObject<string[][]>("headers");
  if (headers !== null) {
    for (let i = 0; i < headers.length; i++) ctx.replaceResponseHeader(headers[i][0], headers[i][1]);
  }
  return Action.Continue;
}

setCtx<Config>("redis-rate-limit", {
  parseConfig: parseConfig,
  onRequestHeaders: onRequestHeaders,
  onResponseHeaders: onResponseHeaders,
});
