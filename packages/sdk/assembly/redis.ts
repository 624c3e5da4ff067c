// RedisClient over Higress's proxy_redis_init / proxy_redis_call; replies arrive at the root in
// proxy_on_redis_call_response (raw RESP in buffer 9) and go to the callback with the calling stream's
// HttpContext, as for HTTP callouts. A NOAUTH reply (Redis restarted, the connection lost its AUTH)
// re-runs init and retries the command once, as wasm-go does.

import { Cluster } from "./cluster";
import { BufferType, getWholeBuffer, setEffectiveContext, Status } from "./host";
import { HttpContext } from "./http-context";
import * as abi from "./imports";
import { log } from "./log";
import { OUT_WORD, ptrOf, utf8 } from "./memory";
import { encodeCommand, parseResp, RespValue } from "./resp";
import { currentRoot, currentStream, setCurrent, streams } from "./state";

export type RedisCallback = (ctx: HttpContext, reply: RespValue) => void;

class PendingRedis {
  retried: bool = false;
  constructor(public client: RedisClient, public query: ArrayBuffer, public streamId: u32, public rootId: u32,
    public callback: RedisCallback) {}
}

const pending = new Map<u32, PendingRedis>();

export class RedisClient {
  username: string = "";
  password: string = "";
  timeoutMs: u32 = 1000;
  database: i32 = 0;
  /** False until init succeeds, and again after a NOAUTH reply: the next command re-runs init first. */
  ready: bool = false;
  initialized: bool = false;

  constructor(public cluster: Cluster) {
    // Only now does the reply handler (and, through its NOAUTH retry, proxy_redis_init/call) become
    // reachable: a plugin that never makes a RedisClient imports no Redis hostcall, so it also loads on
    // hosts without Higress's Redis extension (plain Envoy, Istio).
    installRedisReplyHandler();
  }

  /**
   * proxy_redis_init; `db` > 0 selects a database (`<cluster>?db=N`). A failure is not fatal, as in
   * wasm-go: it logs a warning and the next command tries again. Returns whether the client is ready.
   */
  init(username: string, password: string, timeoutMs: u32, db: i32 = 0): bool {
    this.username = username;
    this.password = password;
    this.timeoutMs = timeoutMs;
    this.database = db;
    this.initialized = true;
    this.ready = this.doInit();
    if (!this.ready) log.warn("failed to init redis, will retry later, cluster: " + this.initName());
    return this.ready;
  }

  initName(): string {
    const name = this.cluster.clusterName();
    return this.database != 0 ? name + "?db=" + this.database.toString() : name;
  }

  doInit(): bool {
    const n = utf8(this.initName()), u = utf8(this.username), p = utf8(this.password);
    return abi.proxy_redis_init(ptrOf(n), n.byteLength, ptrOf(u), u.byteLength, ptrOf(p), p.byteLength, this.timeoutMs) == Status.Ok;
  }

  /** Re-runs init when the client is not ready; false (and an error log) when that fails. */
  checkReady(): bool {
    if (this.ready) return true;
    if (!this.initialized) {
      log.error("redis client is not ready, please call init() first");
      return false;
    }
    this.ready = this.doInit();
    if (!this.ready) log.error("failed to re-authenticate redis, cluster: " + this.initName());
    return this.ready;
  }

  /** Any command, redis-cli style: `command(["SET", "k", "v"], cb)`. Returns the call token, 0 on failure. */
  command(args: string[], callback: RedisCallback): u32 {
    if (!this.checkReady()) return 0;
    const s = currentStream();
    return this.send(new PendingRedis(this, encodeCommand(args), s !== null ? s.id : 0, currentRoot(), callback));
  }

  send(call: PendingRedis): u32 {
    const n = utf8(this.cluster.clusterName());
    store<u32>(OUT_WORD, 0);
    const status = abi.proxy_redis_call(ptrOf(n), n.byteLength, ptrOf(call.query), call.query.byteLength, OUT_WORD);
    if (status != Status.Ok) {
      log.error("redis call failed, status: " + status.toString());
      return 0;
    }
    const token = load<u32>(OUT_WORD);
    pending.set(token, call);
    return token;
  }

  // --- keys ---
  del(key: string, cb: RedisCallback): u32 { return this.command(["del", key], cb); }
  exists(key: string, cb: RedisCallback): u32 { return this.command(["exists", key], cb); }
  expire(key: string, ttlSeconds: i64, cb: RedisCallback): u32 { return this.command(["expire", key, ttlSeconds.toString()], cb); }
  persist(key: string, cb: RedisCallback): u32 { return this.command(["persist", key], cb); }
  ttl(key: string, cb: RedisCallback): u32 { return this.command(["ttl", key], cb); }
  // --- strings ---
  get(key: string, cb: RedisCallback): u32 { return this.command(["get", key], cb); }
  set(key: string, value: string, cb: RedisCallback): u32 { return this.command(["set", key, value], cb); }
  /** SET key value EX ttl (as wasm-go). */
  setEx(key: string, value: string, ttlSeconds: i64, cb: RedisCallback): u32 { return this.command(["set", key, value, "ex", ttlSeconds.toString()], cb); }
  /** SET key value NX [EX ttl when ttl > 0] (as wasm-go). */
  setNX(key: string, value: string, ttlSeconds: i64, cb: RedisCallback): u32 {
    const args = ["set", key, value, "nx"];
    if (ttlSeconds > 0) { args.push("ex"); args.push(ttlSeconds.toString()); }
    return this.command(args, cb);
  }
  mGet(keys: string[], cb: RedisCallback): u32 { return this.command(prepend(["mget"], keys), cb); }
  incr(key: string, cb: RedisCallback): u32 { return this.command(["incr", key], cb); }
  incrBy(key: string, delta: i64, cb: RedisCallback): u32 { return this.command(["incrby", key, delta.toString()], cb); }
  decr(key: string, cb: RedisCallback): u32 { return this.command(["decr", key], cb); }
  decrBy(key: string, delta: i64, cb: RedisCallback): u32 { return this.command(["decrby", key, delta.toString()], cb); }
  // --- lists ---
  lLen(key: string, cb: RedisCallback): u32 { return this.command(["llen", key], cb); }
  lPush(key: string, values: string[], cb: RedisCallback): u32 { return this.command(prepend(["lpush", key], values), cb); }
  rPush(key: string, values: string[], cb: RedisCallback): u32 { return this.command(prepend(["rpush", key], values), cb); }
  lPop(key: string, cb: RedisCallback): u32 { return this.command(["lpop", key], cb); }
  rPop(key: string, cb: RedisCallback): u32 { return this.command(["rpop", key], cb); }
  lRange(key: string, start: i64, stop: i64, cb: RedisCallback): u32 { return this.command(["lrange", key, start.toString(), stop.toString()], cb); }
  // --- hashes ---
  hExists(key: string, field: string, cb: RedisCallback): u32 { return this.command(["hexists", key, field], cb); }
  hDel(key: string, fields: string[], cb: RedisCallback): u32 { return this.command(prepend(["hdel", key], fields), cb); }
  hLen(key: string, cb: RedisCallback): u32 { return this.command(["hlen", key], cb); }
  hGet(key: string, field: string, cb: RedisCallback): u32 { return this.command(["hget", key, field], cb); }
  hSet(key: string, field: string, value: string, cb: RedisCallback): u32 { return this.command(["hset", key, field, value], cb); }
  hMGet(key: string, fields: string[], cb: RedisCallback): u32 { return this.command(prepend(["hmget", key], fields), cb); }
  hKeys(key: string, cb: RedisCallback): u32 { return this.command(["hkeys", key], cb); }
  hVals(key: string, cb: RedisCallback): u32 { return this.command(["hvals", key], cb); }
  hGetAll(key: string, cb: RedisCallback): u32 { return this.command(["hgetall", key], cb); }
  hIncrBy(key: string, field: string, delta: i64, cb: RedisCallback): u32 { return this.command(["hincrby", key, field, delta.toString()], cb); }
  // --- sets ---
  sCard(key: string, cb: RedisCallback): u32 { return this.command(["scard", key], cb); }
  sAdd(key: string, values: string[], cb: RedisCallback): u32 { return this.command(prepend(["sadd", key], values), cb); }
  sRem(key: string, values: string[], cb: RedisCallback): u32 { return this.command(prepend(["srem", key], values), cb); }
  sIsMember(key: string, value: string, cb: RedisCallback): u32 { return this.command(["sismember", key, value], cb); }
  sMembers(key: string, cb: RedisCallback): u32 { return this.command(["smembers", key], cb); }
  // --- sorted sets ---
  zCard(key: string, cb: RedisCallback): u32 { return this.command(["zcard", key], cb); }
  zIncrBy(key: string, member: string, delta: string, cb: RedisCallback): u32 { return this.command(["zincrby", key, delta, member], cb); }
  zScore(key: string, member: string, cb: RedisCallback): u32 { return this.command(["zscore", key, member], cb); }
  zRange(key: string, start: i64, stop: i64, cb: RedisCallback): u32 { return this.command(["zrange", key, start.toString(), stop.toString()], cb); }
  // --- scripting, pub/sub ---
  publish(channel: string, message: string, cb: RedisCallback): u32 { return this.command(["publish", channel, message], cb); }
  /** EVAL script numKeys keys… args… */
  eval(script: string, numKeys: i32, keys: string[], args: string[], cb: RedisCallback): u32 {
    return this.command(prepend(prepend(["eval", script, numKeys.toString()], keys), args), cb);
  }
}

function prepend(head: string[], rest: string[]): string[] {
  const out = head.slice(0);
  for (let i = 0; i < rest.length; i++) out.push(rest[i]);
  return out;
}

/** The handler proxy_on_redis_call_response calls; null until a RedisClient exists. */
let redisReplyHandler: ((rootId: u32, token: u32, status: u32, size: u32) => void) | null = null;

function installRedisReplyHandler(): void {
  if (redisReplyHandler === null) redisReplyHandler = handleRedisReply;
}

/** @internal proxy_on_redis_call_response: a reply with no RedisClient in the module is ignored. */
export function onRedisCallResponse(rootId: u32, token: u32, status: u32, size: u32): void {
  const handler = redisReplyHandler;
  if (handler !== null) handler(rootId, token, status, size);
}

function handleRedisReply(rootId: u32, token: u32, status: u32, size: u32): void {
  if (!pending.has(token)) return;
  const call = pending.get(token);
  pending.delete(token);
  let reply: RespValue;
  if (status != 0) {
    log.plain.critical("Error occurred while calling redis, it seems cannot connect to the redis cluster.");
    reply = RespValue.error("cannot connect to redis cluster");
  } else {
    const b = size > 0 ? getWholeBuffer(BufferType.RedisCallResponse) : null;
    reply = parseResp(b !== null ? b : new ArrayBuffer(0));
  }
  if (!call.retried && reply.isError() && reply.text.indexOf("NOAUTH Authentication required") >= 0) {
    // Redis lost this connection's AUTH (a restart, a failover): init again and retry once.
    log.plain.warn("redis authentication required, attempting re-authentication");
    call.retried = true;
    const c = call.client;
    c.ready = false;
    if (c.checkReady() && c.send(call) != 0) return;
  }
  let ctx: HttpContext;
  if (call.streamId != 0) {
    if (!streams.has(call.streamId)) return;
    ctx = streams.get(call.streamId);
    setEffectiveContext(call.streamId);
  } else {
    ctx = new HttpContext(0, rootId);
  }
  setCurrent(ctx.inStream() ? ctx : null, ctx.rootId);
  call.callback(ctx, reply);
  setCurrent(null, 0);
}
