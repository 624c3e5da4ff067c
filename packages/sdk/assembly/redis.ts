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
  database: i32 = -1;

  constructor(public cluster: Cluster) {}

  /** proxy_redis_init; `db` ≥ 0 selects a database (`?db=N`). Returns false (and logs) on failure. */
  init(username: string, password: string, timeoutMs: u32, db: i32 = -1): bool {
    this.username = username;
    this.password = password;
    this.timeoutMs = timeoutMs;
    this.database = db;
    let name = this.cluster.clusterName();
    if (db >= 0) name += "?db=" + db.toString();
    const n = utf8(name), u = utf8(username), p = utf8(password);
    const status = abi.proxy_redis_init(ptrOf(n), n.byteLength, ptrOf(u), u.byteLength, ptrOf(p), p.byteLength, timeoutMs);
    if (status != Status.Ok) {
      log.error("redis init failed, status: " + status.toString() + ", cluster: " + name);
      return false;
    }
    return true;
  }

  /** Any command: `command(["SET", "k", "v"], cb)`. Returns the call token, 0 on failure. */
  command(args: string[], callback: RedisCallback): u32 {
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

  get(key: string, cb: RedisCallback): u32 { return this.command(["get", key], cb); }
  set(key: string, value: string, cb: RedisCallback): u32 { return this.command(["set", key, value], cb); }
  setEx(key: string, value: string, seconds: i64, cb: RedisCallback): u32 { return this.command(["setex", key, seconds.toString(), value], cb); }
  setNX(key: string, value: string, cb: RedisCallback): u32 { return this.command(["setnx", key, value], cb); }
  del(key: string, cb: RedisCallback): u32 { return this.command(["del", key], cb); }
  exists(key: string, cb: RedisCallback): u32 { return this.command(["exists", key], cb); }
  expire(key: string, seconds: i64, cb: RedisCallback): u32 { return this.command(["expire", key, seconds.toString()], cb); }
  ttl(key: string, cb: RedisCallback): u32 { return this.command(["ttl", key], cb); }
  incr(key: string, cb: RedisCallback): u32 { return this.command(["incr", key], cb); }
  incrBy(key: string, delta: i64, cb: RedisCallback): u32 { return this.command(["incrby", key, delta.toString()], cb); }
  decr(key: string, cb: RedisCallback): u32 { return this.command(["decr", key], cb); }
  decrBy(key: string, delta: i64, cb: RedisCallback): u32 { return this.command(["decrby", key, delta.toString()], cb); }
  hGet(key: string, field: string, cb: RedisCallback): u32 { return this.command(["hget", key, field], cb); }
  hSet(key: string, field: string, value: string, cb: RedisCallback): u32 { return this.command(["hset", key, field, value], cb); }
  hDel(key: string, field: string, cb: RedisCallback): u32 { return this.command(["hdel", key, field], cb); }
  hIncrBy(key: string, field: string, delta: i64, cb: RedisCallback): u32 { return this.command(["hincrby", key, field, delta.toString()], cb); }
  hGetAll(key: string, cb: RedisCallback): u32 { return this.command(["hgetall", key], cb); }
  lPush(key: string, value: string, cb: RedisCallback): u32 { return this.command(["lpush", key, value], cb); }
  rPush(key: string, value: string, cb: RedisCallback): u32 { return this.command(["rpush", key, value], cb); }
  publish(channel: string, message: string, cb: RedisCallback): u32 { return this.command(["publish", channel, message], cb); }
  /** EVAL script numKeys keys… args… */
  eval(script: string, numKeys: i32, keys: string[], args: string[], cb: RedisCallback): u32 {
    const all = ["eval", script, numKeys.toString()];
    for (let i = 0; i < keys.length; i++) all.push(keys[i]);
    for (let i = 0; i < args.length; i++) all.push(args[i]);
    return this.command(all, cb);
  }
}

/** @internal proxy_on_redis_call_response. */
export function onRedisCallResponse(rootId: u32, token: u32, status: u32, size: u32): void {
  if (!pending.has(token)) return;
  const call = pending.get(token);
  pending.delete(token);
  let reply: RespValue;
  if (status != 0) {
    reply = RespValue.error("redis call failed: network error (status " + status.toString() + ")");
  } else {
    const b = size > 0 ? getWholeBuffer(BufferType.RedisCallResponse) : null;
    reply = parseResp(b !== null ? b : new ArrayBuffer(0));
  }
  if (!call.retried && reply.isError() && reply.text.startsWith("NOAUTH")) {
    call.retried = true;
    const c = call.client;
    c.init(c.username, c.password, c.timeoutMs, c.database);
    if (c.send(call) != 0) return;
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
