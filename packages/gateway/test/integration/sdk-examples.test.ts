/**
 * The AssemblyScript examples written with @wasmgate/sdk (examples/as/*) served by the real gateway:
 * each is built once with the SDK's buildAssemblyScript into its git-ignored build/plugin.wasm, loaded
 * from its own gateway.yaml where that routes to the echo backend, or from manifests naming real
 * upstreams (an auth service, redis-server) on free ports. Redis parts skip where redis-server is
 * not installed (fail under CI).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EchoReply } from '../../src/services/echo-backend.js';
import { RedisClient } from '../../src/services/redis-client.js';
import type { Daemon } from '../helpers/daemon.js';
import { startRedis } from '../helpers/redis.js';
import {
  Cleanup, HEADERS_BENCH, ingress, linesWith, poll, REPO_ROOT, send, service, startGateway, startUpstream, wasmPlugin,
  type AfterHook, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const EXAMPLES = join(REPO_ROOT, 'examples/as');

/** The agreed interface of `@wasmgate/sdk/build` (the SDK is not a dependency of the gateway package). */
interface SdkBuild {
  buildAssemblyScript(o: { entry: string; outFile?: string }): Promise<{ ok: boolean; binary?: Uint8Array; diagnostics: string }>;
}
const builds = new Map<string, Promise<string>>();

/** WebAssembly.Module.imports (the gateway's tsconfig has no DOM lib, which declares WebAssembly). */
function wasmImports(binary: Uint8Array): { module: string; name: string }[] {
  const wa = (globalThis as unknown as { WebAssembly: { Module: { new(b: Uint8Array): object; imports(m: object): { module: string; name: string }[] } } }).WebAssembly;
  return wa.Module.imports(new wa.Module(binary));
}

/** Builds examples/as/<name> once per test process into its build/plugin.wasm; returns that path. */
function buildExample(name: string): Promise<string> {
  let p = builds.get(name);
  if (!p) {
    p = (async () => {
      const sdk = await import(pathToFileURL(join(REPO_ROOT, 'packages/sdk/dist/src/build.js')).href) as SdkBuild;
      const outFile = join(EXAMPLES, name, 'build/plugin.wasm');
      const r = await sdk.buildAssemblyScript({ entry: join(EXAMPLES, name, 'assembly/index.ts'), outFile });
      assert.ok(r.ok && r.binary, `build of examples/as/${name} failed:\n${r.diagnostics}`);
      const imports = wasmImports(new Uint8Array(r.binary));
      const other = imports.filter((i) => !(i.module === 'env' && i.name.startsWith('proxy_')) && i.module !== 'wasi_snapshot_preview1');
      assert.deepEqual(other, [], `examples/as/${name} imports more than env.proxy_* and WASI`);
      return outFile;
    })();
    builds.set(name, p);
  }
  return p;
}

/** Serves examples/as/<name>/gateway.yaml as written, its `echo: true` Service on a real echo backend. */
async function serveExample(hook: AfterHook, name: string): Promise<TestGateway> {
  await buildExample(name);
  return startGateway(hook, { paths: [join(EXAMPLES, name, 'gateway.yaml')] }, { echo: true });
}

const echoed = (body: string) => JSON.parse(body) as EchoReply;

describe('examples/as/hello-header (its gateway.yaml, echo backend)', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => { gw = await serveExample(bag, 'hello-header'); });
  after(() => bag.run());

  test('the upstream sees x-my-header and so does the client', async () => {
    const r = await send(gw.port, { path: '/hello' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-my-header'], 'hello from wasmgate');
    assert.equal(echoed(r.body).headers['x-my-header'], 'hello from wasmgate');
    assert.equal(echoed(r.body).path, '/hello');
  });
});

describe('examples/as/headers-bench (its gateway.yaml) answers as fixtures/go/headers-bench does', () => {
  const bag = new Cleanup();
  let sdk: TestGateway;
  let go: TestGateway;
  let up: Upstream;
  before(async () => {
    sdk = await serveExample(bag, 'headers-bench');
    up = await startUpstream(bag);
    go = await startGateway(bag, [service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend'), wasmPlugin('hb', HEADERS_BENCH)]);
  });
  after(() => bag.run());

  test('a plain request reaches the upstream without any x-bench-* header', async () => {
    const r = await send(sdk.port, { path: '/bench', headers: { 'x-client': '1' } });
    assert.equal(r.status, 200, r.body);
    const headers = echoed(r.body).headers;
    assert.equal(headers['x-client'], '1');
    assert.deepEqual(Object.keys(headers).filter((h) => h.startsWith('x-bench-')), []);
    const g = await send(go.port, { path: '/bench', headers: { 'x-client': '1' } });
    assert.equal(g.status, 200);
    assert.deepEqual(Object.keys(up.requests.at(-1)!.headers).filter((h) => h.startsWith('x-bench-')), []);
  });

  test('a client-sent x-bench-3 makes both answer the same 500 and log the same line', async () => {
    const ask = (port: number) => send(port, { path: '/bench', headers: { 'x-bench-3': 'evil' } });
    const [a, b] = [await ask(sdk.port), await ask(go.port)];
    const text = 'headers-bench: get x-bench-3: got "evil", want "value-3"';
    for (const r of [a, b]) {
      assert.equal(r.status, 500);
      assert.equal(r.body, text);
      assert.equal(r.headers['content-type'], 'text/plain');
    }
    await sdk.gateway.settle();
    await go.gateway.settle();
    assert.equal(linesWith(sdk.logs, text).length, 1, sdk.logs.join('\n'));
    assert.equal(linesWith(go.logs, text).length, 1, go.logs.join('\n'));
  });
});

describe('examples/as/body-rewrite', () => {
  const bag = new Cleanup();
  after(() => bag.run());

  test('its gateway.yaml: the echoed request path has wasm-go rewritten, and no content-length', async () => {
    const gw = await serveExample(bag, 'body-rewrite');
    const r = await send(gw.port, { path: '/docs/wasm-go/wasm-go' });
    assert.equal(r.status, 200, r.body);
    assert.equal(echoed(r.body).path, '/docs/@wasmgate/sdk/@wasmgate/sdk');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
  });

  test('streams: the client gets a first chunk before the upstream sends the rest; a split match is still replaced', async () => {
    const wasm = await buildExample('body-rewrite');
    let finish: (() => void) | undefined;
    const up = await startUpstream(bag, (_seen, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String('streamed from wasm-go, done'.length) });
      res.write('streamed from wasm-');
      finish = () => res.end('go, done');
    });
    const gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend'),
      wasmPlugin('br', wasm, { defaultConfig: { from: 'wasm-go', to: '@wasmgate/sdk' } }),
    ]);
    let text = '';
    let headers: http.IncomingHttpHeaders = {};
    const done = new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gw.port, path: '/', agent: false }, (res) => {
        headers = res.headers;
        res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', resolve).on('error', reject);
      }).on('error', reject);
    });
    // The first 13 bytes went on; " wasm-" (a possible match start) is held back until the next chunk.
    await poll('the first rewritten chunk', async () => (text === 'streamed from' ? true : undefined));
    assert.equal(headers['content-length'], undefined);
    finish!();
    await done;
    assert.equal(text, 'streamed from @wasmgate/sdk, done');
    await gw.gateway.settle();
    assert.equal(linesWith(gw.logs, 'body-rewrite: 1 replacement(s) in /').length, 1, gw.logs.join('\n'));
  });
  test('"request": true rewrites request bodies on their way upstream too (content-length dropped)', async () => {
    const up = await startUpstream(bag);
    const gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend'),
      wasmPlugin('br', await buildExample('body-rewrite'), { defaultConfig: { from: 'wasm-go', to: '@wasmgate/sdk', request: true } }),
    ]);
    const r = await send(gw.port, { method: 'POST', path: '/upload', headers: { 'content-type': 'text/plain' }, body: 'built with wasm-go' });
    assert.equal(r.status, 200, r.body);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.body.toString(), 'built with @wasmgate/sdk');
    assert.equal(seen.headers['content-length'], undefined);
    assert.equal(seen.headers['transfer-encoding'], 'chunked');
  });
});

describe('examples/as/auth-callout against a real auth service', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  let auth: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    auth = await startUpstream(bag, (seen, res) => {
      const who = /^Bearer (.+)$/.exec(String(seen.headers.authorization ?? ''))?.[1];
      if (who === 'slow') return; // never answers: the plugin's 300 ms timeout decides
      if (seen.url !== '/check') res.writeHead(404).end();
      else if (who === 'alice') res.writeHead(200, { 'x-user': 'alice' }).end();
      else if (who === 'mallory') res.writeHead(403).end();
      else if (who === 'boom') res.writeHead(500).end();
      else res.writeHead(401).end();
    });
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('auth', [`127.0.0.1:${auth.port}`]),
      ingress('all', 'backend'),
      wasmPlugin('auth', await buildExample('auth-callout'), {
        defaultConfig: { authService: { service: 'auth', namespace: 'default', port: 80 }, path: '/check', timeoutMs: 300 },
      }),
    ]);
  });
  after(() => bag.run());

  const hit = (authorization?: string, extra: Record<string, string> = {}) =>
    send(gw.port, { path: '/orders', headers: { ...(authorization ? { authorization } : {}), ...extra } });

  test('200 from the auth service: the request goes upstream with its x-user (the client\'s own is dropped)', async () => {
    const r = await hit('Bearer alice', { 'x-user': 'root' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'upstream ok');
    assert.deepEqual(up.requests.at(-1)!.rawHeaders.filter((_, i, a) => i % 2 === 1 && a[i - 1]!.toLowerCase() === 'x-user'), ['alice']);
    const check = auth.requests.at(-1)!;
    assert.equal(check.method, 'GET');
    assert.equal(check.url, '/check');
    assert.equal(check.headers.authorization, 'Bearer alice');
  });

  test('no authorization: 401 without asking; 401 and 403 answers are passed on; nothing reaches the upstream', async () => {
    const before = { up: up.requests.length, auth: auth.requests.length };
    const none = await hit();
    assert.deepEqual([none.status, none.body], [401, 'missing authorization']);
    assert.equal(auth.requests.length, before.auth);
    assert.deepEqual([(await hit('Bearer eve')).status, (await hit('Bearer mallory')).status], [401, 403]);
    assert.equal(up.requests.length, before.up);
  });

  test('fails closed: a 500, a callout past its 300 ms timeout and an unreachable auth service all answer 503', async () => {
    const before = up.requests.length;
    for (const who of ['boom', 'slow']) {
      const r = await hit(`Bearer ${who}`);
      assert.deepEqual([r.status, r.body], [503, 'auth service unavailable'], who);
    }
    await auth.close();
    const r = await hit('Bearer alice');
    assert.deepEqual([r.status, r.body], [503, 'auth service unavailable']);
    assert.equal(up.requests.length, before);
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'auth service answered 500: failing closed').length === 1, gw.logs.join('\n'));
    assert.ok(linesWith(gw.logs, 'auth service answered 504: failing closed').length === 1, gw.logs.join('\n'));
  });
});

describe('examples/as/redis-rate-limit against redis-server', () => {
  const bag = new Cleanup();
  let redis: Daemon | undefined;
  let skipReason = '';
  let gw: TestGateway;
  let up: Upstream;
  let direct: RedisClient;
  before(async () => {
    redis = await startRedis({ skip: (m) => { skipReason = m; } });
    if (!redis) return;
    bag.after(() => redis?.stop());
    direct = new RedisClient({ host: '127.0.0.1', port: redis.port, timeoutMs: 2000 });
    bag.after(() => direct.close());
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('redis', [`127.0.0.1:${redis.port}`], { protocol: 'redis' }),
      ingress('all', 'backend'),
      wasmPlugin('rl', await buildExample('redis-rate-limit'), {
        defaultConfig: { redis: { service: 'redis.default.svc.cluster.local', port: 6379 }, keyHeader: 'x-api-key', limit: 3, windowSeconds: 60 },
      }),
    ]);
  });
  after(() => bag.run());

  const redisCommand = async (...args: string[]) => {
    const q = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return Buffer.from(await direct.call(Buffer.from(q))).toString();
  };

  test('3 requests per key pass with x-ratelimit-* headers; the 4th gets 429; the window is in Redis', async (t) => {
    if (!redis) return t.skip(skipReason);
    const key = `k-${randomUUID()}`;
    const before = up.requests.length;
    for (const remaining of ['2', '1', '0']) {
      const r = await send(gw.port, { headers: { 'x-api-key': key } });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['x-ratelimit-limit'], '3');
      assert.equal(r.headers['x-ratelimit-remaining'], remaining);
      const reset = Number(r.headers['x-ratelimit-reset']);
      assert.ok(reset > 0 && reset <= 60, `reset ${reset}`);
    }
    const over = await send(gw.port, { headers: { 'x-api-key': key } });
    assert.deepEqual([over.status, over.body, over.headers['x-ratelimit-remaining']], [429, 'too many requests', '0']);
    assert.equal(up.requests.length, before + 3);
    assert.equal(await redisCommand('GET', `ratelimit:key:${key}`), '$1\r\n4\r\n');
    const ttl = Number((await redisCommand('TTL', `ratelimit:key:${key}`)).slice(1));
    assert.ok(ttl > 0 && ttl <= 60, `TTL ${ttl}`);
    // Another key has its own window; without the header the client IP is the key.
    assert.equal((await send(gw.port, { headers: { 'x-api-key': `other-${randomUUID()}` } })).status, 200);
    assert.equal((await send(gw.port)).status, 200);
    assert.match(await redisCommand('EXISTS', 'ratelimit:ip:127.0.0.1'), /^:1\r\n$/);
  });

  test('Redis gone: requests pass (fail-open) and the plugin warns', async (t) => {
    if (!redis) return t.skip(skipReason);
    await redis.stop();
    const key = `k-${randomUUID()}`;
    for (let i = 0; i < 5; i++) {
      const r = await send(gw.port, { headers: { 'x-api-key': key } });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['x-ratelimit-limit'], undefined);
    }
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, '(failing open)').length >= 5, gw.logs.slice(-5).join('\n'));
  });
});

describe('examples/as/tick-leader on 2 workers', () => {
  test('both VMs tick, exactly one leads; only the leader counts and logs "leader tick"', async (t) => {
    const bag = new Cleanup();
    t.after(() => bag.run());
    const up = await startUpstream(bag);
    const gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('site', 'backend'),
      wasmPlugin('tl', await buildExample('tick-leader'), { defaultConfig: { tickMs: 50 } }),
    ], { workers: 2 });
    // Fresh connections land on both workers; ask until both VMs answered after their first tick.
    const views = new Map<string, { leader: string; count: number }>();
    await poll('answers from both VMs after they ticked', async () => {
      const r = await send(gw.port);
      assert.equal(r.status, 200, r.body);
      if (Number(r.headers['x-tick-ticks']) > 0) {
        views.set(String(r.headers['x-tick-vm']), { leader: String(r.headers['x-tick-leader']), count: Number(r.headers['x-tick-count']) });
      }
      return views.size === 2 ? true : undefined;
    }, 10_000);
    const leaders = [...views].filter(([, v]) => v.leader === 'true').map(([vm]) => vm);
    assert.equal(leaders.length, 1, JSON.stringify([...views]));
    // The counter is shared: it only grows, whichever worker answers.
    const first = Math.max(...[...views.values()].map((v) => v.count));
    assert.ok(first >= 1);
    await poll('the leader to tick again', async () => {
      const r = await send(gw.port);
      return Number(r.headers['x-tick-count']) > first ? true : undefined;
    });
    await gw.gateway.settle();
    const ticks = gw.logs.map((l) => /leader tick (\d+) by vm ([0-9a-f-]+)/.exec(l)).filter((m) => m !== null);
    assert.ok(ticks.length >= 2, gw.logs.join('\n'));
    assert.deepEqual([...new Set(ticks.map((m) => m[2]))], leaders, 'every "leader tick" line comes from the one leader');
    const numbers = ticks.map((m) => Number(m[1]));
    assert.deepEqual(numbers, numbers.map((_, i) => numbers[0]! + i), 'the leader counts 1, 2, 3 … with no gaps');
  });
});

describe('examples/as/auth-callout and redis-rate-limit: their gateway.yaml starts as written', () => {
  const bag = new Cleanup();
  after(() => bag.run());

  test('auth-callout: configured from its manifests; a request without authorization gets 401 without a callout', async () => {
    const gw = await serveExample(bag, 'auth-callout');
    const r = await send(gw.port, { path: '/orders' });
    assert.deepEqual([r.status, r.body], [401, 'missing authorization']);
  });

  test('redis-rate-limit: configured from its manifests (Redis at 127.0.0.1:6379 or not: a first request passes)', async () => {
    const gw = await serveExample(bag, 'redis-rate-limit');
    const r = await send(gw.port, { path: '/', headers: { 'x-api-key': `k-${randomUUID()}` } });
    assert.equal(r.status, 200, r.body);
    assert.equal(echoed(r.body).path, '/');
  });
});
