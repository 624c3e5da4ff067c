import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

const GET = (authority = 'shop.test', path = '/') => ({ ':method': 'GET', ':path': path, ':authority': authority, ':scheme': 'http' });

describe('multi-level configuration (rule matching)', () => {
  let wasm: Uint8Array;
  let plugin: TestPlugin;
  before(async () => {
    wasm = await buildPlugin('basic');
    plugin = await loadPlugin(wasm, {
      name: 'basic',
      config: {
        name: 'global',
        _rules_: [
          { _match_route_: ['default/foo'], name: 'route' },
          { _match_route_: ['default/both'], _match_service_: ['svc.ns.svc.cluster.local:80'], name: 'route+service' },
          { _match_domain_: ['*.example.com', 'api.*', 'Exact.COM'], name: 'domain' },
          { _match_service_: ['backend.default.svc.cluster.local', 'other.dns:8080'], name: 'service' },
          { _match_route_prefix_: ['ai-'], name: 'prefix' },
          { _match_domain_: ['a.example.com'], name: 'never (rule 2 wins)' },
          { _match_route_prefix_: ['vip-'], _match_consumer_: ['alice'], name: 'prefix+consumer' },
        ],
      },
    });
  });
  after(() => plugin.close());

  const which = (props: Record<string, string>, authority = 'shop.test') => {
    const s = plugin.stream({ properties: props });
    s.requestHeaders(GET(authority), { endStream: true });
    const got = [s.upstream.headers?.get('x-config'), s.upstream.headers?.get('x-rule')];
    s.end();
    return got;
  };

  it('matches a route exactly', () => {
    assert.deepEqual(which({ route_name: 'default/foo' }), ['route', '0']);
    assert.deepEqual(which({ route_name: 'default/foo2' }), ['global', '-1']);
  });
  it('requires the service too when a rule has both route and service', () => {
    assert.deepEqual(which({ route_name: 'default/both', cluster_name: 'outbound|80||svc.ns.svc.cluster.local' }), ['route+service', '1']);
    assert.deepEqual(which({ route_name: 'default/both', cluster_name: 'outbound|81||svc.ns.svc.cluster.local' }), ['global', '-1']);
  });
  it('matches domains by suffix, prefix and exact name, without port, case-insensitively', () => {
    assert.deepEqual(which({}, 'a.example.com:8080'), ['domain', '2']);
    assert.deepEqual(which({}, 'example.com'), ['global', '-1']);
    assert.deepEqual(which({}, 'api.shop.io'), ['domain', '2']);
    assert.deepEqual(which({}, 'EXACT.com'), ['domain', '2']);
    assert.deepEqual(which({}, 'exact.com.cn'), ['global', '-1']);
  });
  it('matches a service by fqdn or fqdn:port from cluster_name', () => {
    assert.deepEqual(which({ cluster_name: 'outbound|8080||backend.default.svc.cluster.local' }), ['service', '3']);
    assert.deepEqual(which({ cluster_name: 'outbound|8080||other.dns' }), ['service', '3']);
    assert.deepEqual(which({ cluster_name: 'outbound|9090||other.dns' }), ['global', '-1']);
    assert.deepEqual(which({ cluster_name: 'backend.default.svc.cluster.local' }), ['global', '-1']);
  });
  it('matches a route prefix', () => {
    assert.deepEqual(which({ route_name: 'ai-route-1' }), ['prefix', '4']);
  });
  it('matches a route prefix with a consumer (x-mse-consumer)', () => {
    const s = plugin.stream({ properties: { route_name: 'vip-1' } });
    s.requestHeaders({ ...GET(), 'x-mse-consumer': 'alice' }, { endStream: true });
    assert.equal(s.upstream.headers?.get('x-config'), 'prefix+consumer');
    s.end();
    assert.deepEqual(which({ route_name: 'vip-1' }), ['global', '-1']);
  });
  it('counts a missing :authority as "" (route rules still match; wasm-go would skip the plugin)', () => {
    const s = plugin.stream({ properties: { route_name: 'default/foo' } });
    s.requestHeaders({ ':method': 'GET', ':path': '/' }, { endStream: true });
    assert.equal(s.upstream.headers?.get('x-config'), 'route');
    s.end();
  });

  it('skips unmatched requests when there is no global config', async () => {
    const p = await loadPlugin(wasm, { config: { _rules_: [{ _match_domain_: ['x.test'], name: 'x' }] } });
    const s = p.stream();
    const r = s.requestHeaders(GET('y.test'), { endStream: true });
    assert.equal(r.action, 'continue');
    assert.equal(s.upstream.headers?.get('x-config'), undefined);
    s.end();
    const s2 = p.stream();
    s2.requestHeaders(GET('x.test'), { endStream: true });
    assert.equal(s2.upstream.headers?.get('x-config'), 'x');
    s2.end();
    p.close();
  });

  it('turns the plugin on with an empty configuration', async () => {
    const p = await loadPlugin(wasm, { config: '' });
    const s = p.stream();
    s.requestHeaders(GET(), { endStream: true });
    assert.equal(s.upstream.headers?.get('x-config'), 'unnamed');
    s.end();
    assert.ok(p.logs.some((l) => l.message === '[basic] [nil] [nil] plugin start successfully'));
    p.close();
  });

  it('keeps each rule config separate (parseConfig on the rule JSON only)', async () => {
    const p = await loadPlugin(wasm, { config: { name: 'g', mode: 'reply', _rules_: [{ _match_domain_: ['r.test'], name: 'r' }] } });
    const s = p.stream();
    s.requestHeaders(GET('r.test'), { endStream: true });
    assert.equal(s.localReply, undefined); // the rule has no mode: no reply
    assert.equal(s.upstream.headers?.get('x-config'), 'r');
    s.end();
    const s2 = p.stream();
    s2.requestHeaders(GET('g.test'), { endStream: true });
    assert.equal(s2.downstream.body, 'config g');
    s2.end();
    p.close();
  });
});

describe('configuration errors', () => {
  let wasm: Uint8Array;
  before(async () => { wasm = await buildPlugin('basic'); });

  const rejected = async (config: unknown, detail: RegExp) => {
    await assert.rejects(loadPlugin(wasm, { name: 'basic', config: config as object }), (e: unknown) => {
      const err = e as { code: string; details: string[] };
      assert.equal(err.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(err.details.some((l) => detail.test(l)), `no log line like ${detail}: ${JSON.stringify(err.details)}`);
      return true;
    });
  };

  it('rejects malformed JSON with the position', () => rejected('{"a": }', /not a valid json: unexpected character '}' at position 6/));
  it('rejects a rule without a match array, naming the rule', () =>
    rejected({ name: 'g', _rules_: [{ _match_route_: ['r'] }, { name: 'x' }] }, /parse rule config failed: _rules_\[1\]: there is at least one of/));
  it('rejects a rule whose config does not parse, naming the rule', () =>
    rejected({ _rules_: [{ _match_route_: ['r'], fail: true }] }, /_rules_\[0\]: asked to fail/));
  it('rejects when the global config fails and there are no rules', () =>
    rejected({ fail: true }, /no valid rules; global config parse error: asked to fail/));
  it('logs "plugin start failed" at error level', () => rejected({ fail: true }, /^\[basic\] \[nil\] \[nil\] plugin start failed$/));
});
