// Scripted Redis (Higress proxy_redis_init / proxy_redis_call) through a real binary: the WAT
// hostcall-proxy fixture re-exports every hostcall, so the test issues the calls as a plugin would
// from its root context and reads proxy_on_redis_call_response from the fixture's event ring.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { loadPlugin, resp, type LoadOptions, type TestPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const REDIS_RESPONSE = 21; // the fixture's callback id for proxy_on_redis_call_response
const enc = new TextEncoder();

/** Issues Redis hostcalls from the plugin's root context, as a plugin's own code would. */
class RedisDriver {
  readonly plugin: TestPlugin;
  constructor(plugin: TestPlugin) {
    this.plugin = plugin;
  }

  #put(ptr: number, text: string): [number, number] {
    const bytes = enc.encode(text);
    assert.ok(this.plugin.vm.memory.write(ptr, bytes));
    return [ptr, bytes.length];
  }

  #call(name: string, args: number[]): number | undefined {
    return this.plugin.vm.call(this.plugin.root, name, args);
  }

  init(cluster: string, timeoutMs: number): number | undefined {
    return this.#call('call_redis_init', [...this.#put(0x1000, cluster), ...this.#put(0x1100, 'user'), ...this.#put(0x1200, 'secret'), timeoutMs]);
  }

  /** Sends a command; returns the hostcall status and the token. */
  command(cluster: string, ...words: string[]): { status: number | undefined; token: number | undefined } {
    const query = `*${words.length}\r\n${words.map((w) => `$${enc.encode(w).length}\r\n${w}\r\n`).join('')}`;
    const status = this.#call('call_redis_call', [...this.#put(0x1000, cluster), ...this.#put(0x1300, query), 0x1400]);
    return { status, token: this.plugin.vm.memory.readU32(0x1400) };
  }

  /** [token, status, reply size] of every proxy_on_redis_call_response so far. */
  responses(): [number, number, number][] {
    const n = this.#call('event_count', []) ?? 0;
    const out: [number, number, number][] = [];
    for (let k = Math.max(0, n - 64); k < n; k++) {
      const field = (f: number) => this.#call('event_get', [k, f]) ?? 0;
      if (field(0) === REDIS_RESPONSE) out.push([field(2), field(3), field(4)]);
    }
    return out;
  }
}

async function driver(t: TestContext, options: LoadOptions = {}): Promise<RedisDriver> {
  const plugin = await loadPlugin(fixture('wat/hostcall-proxy.wasm'), options);
  t.after(() => plugin.close());
  return new RedisDriver(plugin);
}

describe('scripted Redis', () => {
  it('answers a matching command with the scripted RESP reply', async (t) => {
    const d = await driver(t);
    assert.equal(d.init('redis?db=1', 500), 0);
    assert.deepEqual(d.plugin.redis.inits, [{ cluster: 'redis', raw: 'redis?db=1', username: 'user', password: 'secret', timeoutMs: 500 }]);
    d.plugin.redis.intercept({ cluster: 'redis', command: 'incr', args: ['hits'] }).reply(resp.integer(42));
    const { status, token } = d.command('redis?db=1', 'INCR', 'hits');
    assert.equal(status, 0);
    await d.plugin.settle();
    assert.deepEqual(d.responses(), [[token, 0, ':42\r\n'.length]]);
    const [call] = d.plugin.redis.calls;
    assert.deepEqual([call?.cluster, call?.command, call?.args, call?.outcome, call?.reply], ['redis', 'INCR', ['hits'], 'replied', ':42\r\n']);
    d.plugin.redis.assertNoPendingInterceptors();
  });

  it('fail() delivers a network error (status 1) with no reply', async (t) => {
    const d = await driver(t);
    d.init('redis', 0);
    d.plugin.redis.intercept({ command: 'GET' }).fail();
    const { token } = d.command('redis', 'GET', 'k');
    await d.plugin.settle();
    assert.deepEqual(d.responses(), [[token, 1, 0]]);
    assert.equal(d.plugin.redis.calls[0]?.outcome, 'failed');
  });

  it('a reply delayed past the init timeout fails at the timeout', async (t) => {
    const d = await driver(t);
    d.init('redis', 200);
    d.plugin.redis.intercept({ command: 'GET' }).reply(resp.bulk('v')).delay(150);
    d.plugin.redis.intercept({ command: 'GET' }).reply(resp.bulk('v')).delay(500);
    const fast = d.command('redis', 'GET', 'a').token;
    const slow = d.command('redis', 'GET', 'b').token;
    await d.plugin.clock.advance(150);
    assert.deepEqual(d.responses(), [[fast, 0, '$1\r\nv\r\n'.length]]);
    await d.plugin.clock.advance(50);
    assert.deepEqual(d.responses(), [[fast, 0, 7], [slow, 1, 0]]);
    assert.equal(d.plugin.redis.calls[1]?.outcome, 'timeout');
  });

  it('an unmatched command fails for the plugin and fails the test', async (t) => {
    const d = await driver(t);
    d.init('redis', 0);
    const { token } = d.command('redis', 'SET', 'k', 'v');
    await d.plugin.settle();
    assert.deepEqual(d.responses(), [[token, 1, 0]]);
    assert.throws(() => d.plugin.assertNoUnexpectedCalls(), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'WG_HARNESS_UNMATCHED_REDIS_CALL');
      assert.match(e.message, /SET k v on cluster "redis"/);
      assert.equal(e.hint, "script it before driving the stream: plugin.redis.intercept({ cluster: 'redis', command: 'SET' }).reply(resp.ok())");
      return true;
    });
  });

  it('clusters limits which names exist: unknown ones fail with BadArgument at once', async (t) => {
    const d = await driver(t, { clusters: ['redis'] });
    assert.equal(d.init('cache', 0), 2);
    assert.equal(d.command('cache', 'PING').status, 2);
    assert.equal(d.plugin.redis.calls.length, 0);
  });
});

describe('resp builders', () => {
  it('encode the RESP types', () => {
    assert.equal(resp.ok(), '+OK\r\n');
    assert.equal(resp.error('ERR nope'), '-ERR nope\r\n');
    assert.equal(resp.integer(-3), ':-3\r\n');
    assert.equal(resp.bulk('héllo'), '$6\r\nhéllo\r\n');
    assert.equal(resp.bulk(null), '$-1\r\n');
    assert.equal(resp.array([resp.bulk('a'), resp.integer(1)]), '*2\r\n$1\r\na\r\n:1\r\n');
    assert.equal(resp.array(null), '*-1\r\n');
  });
});
