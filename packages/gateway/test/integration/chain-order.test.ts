/**
 * Filter-chain order over real sockets (docs/config.md "Filter-chain order"): AUTHN, AUTHZ, STATS,
 * then UNSPECIFIED_PHASE; higher priority first within a phase; ties by namespace/name. Each
 * assertion is one the wrong order could not produce: a plugin answering locally in first place
 * keeps the next one from ever running, and request-header additions arrive in chain order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Cleanup, KITCHEN_SINK, fixture, ingress, listenServer, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const AUTH_CALLOUT = fixture('as/auth-callout.wasm');

describe('plugin order by phase and priority', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    /** A callout Service whose answer body names it, so the upstream can tell which plugin added what. */
    const namedCallout = async (name: string) => {
      const s = await listenServer(bag, http.createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
      }));
      return service(name, [`127.0.0.1:${s.port}`]);
    };
    const cluster = (name: string) => `outbound|80||${name}.default.svc.cluster.local`;
    const on = (route: string, spec: Record<string, unknown>) => ({ ...spec, wasmgate: { scope: { routes: [`default/${route}`] } } });
    const ks = (name: string, route: string, spec: Record<string, unknown>) => wasmPlugin(name, KITCHEN_SINK, on(route, spec));
    const auth = (name: string, route: string, spec: Record<string, unknown>) =>
      wasmPlugin(name, AUTH_CALLOUT, on(route, { defaultConfig: { cluster: cluster('authz') }, ...spec }));
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      await namedCallout('authz'),
      await namedCallout('callout-a'),
      await namedCallout('callout-b'),
      ...['authn-first', 'authn-last', 'priority', 'tie'].map((r) => ingress(r, 'backend', { host: `${r}.test` })),
      // authn-first: auth-callout in AUTHN runs before kitchen-sink, whatever kitchen-sink's priority.
      auth('auth-1', 'authn-first', { phase: 'AUTHN', priority: -100 }),
      ks('ks-1', 'authn-first', { priority: 1000 }),
      // authn-last: kitchen-sink in AUTHN, auth-callout in STATS.
      ks('ks-2', 'authn-last', { phase: 'AUTHN' }),
      auth('auth-2', 'authn-last', { phase: 'STATS', priority: 1000 }),
      // priority: same phase, higher priority first (names sort the other way).
      ks('a-low', 'priority', { phase: 'AUTHZ', priority: 1, defaultConfig: { calloutCluster: cluster('callout-a') } }),
      ks('z-high', 'priority', { phase: 'AUTHZ', priority: 10, defaultConfig: { calloutCluster: cluster('callout-b') } }),
      // tie: same phase and priority, ordered by name.
      ks('z-tie', 'tie', { priority: 5, defaultConfig: { calloutCluster: cluster('callout-b') } }),
      ks('a-tie', 'tie', { priority: 5, defaultConfig: { calloutCluster: cluster('callout-a') } }),
    ]);
  });
  after(() => bag.run());

  const go = (route: string, headers: http.OutgoingHttpHeaders = {}) => send(gw.port, { path: '/o', headers: { host: `${route}.test`, ...headers } });
  /** Values of a request header as the upstream received them, in wire order. */
  const rawValues = (name: string) => {
    const raw = up.requests.at(-1)!.rawHeaders;
    return raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? [raw[i + 1]!] : []));
  };

  test('/config_dump lists each route\'s chain in that order', async () => {
    const dump = JSON.parse((await gw.admin('/config_dump')).body) as { chains: { route: string; plugins: (string | { key: string })[] }[] };
    const chain = (r: string) => dump.chains.find((c) => c.route === `default/${r}`)?.plugins.map((p) => (typeof p === 'string' ? p : p.key));
    assert.deepEqual(chain('authn-first'), ['default/auth-1', 'default/ks-1']);
    assert.deepEqual(chain('authn-last'), ['default/ks-2', 'default/auth-2']);
    assert.deepEqual(chain('priority'), ['default/z-high', 'default/a-low']);
    assert.deepEqual(chain('tie'), ['default/a-tie', 'default/z-tie']);
  });

  test('AUTHN first: its local 401 means the UNSPECIFIED_PHASE plugin never sees the request', async () => {
    const before = up.requests.length;
    const r = await go('authn-first', { 'x-fixture-mode': 'properties' });
    assert.equal(r.status, 401);
    assert.equal(r.body, 'missing credentials');
    assert.equal(r.headers['x-auth-plugin'], 'as');
    assert.equal(r.headers['x-prop-plugin-name'], undefined, 'kitchen-sink never ran, not even on the response');
    assert.equal(up.requests.length, before);
  });

  test('AUTHN first, with credentials: the callout allows, then kitchen-sink runs too', async () => {
    const r = await go('authn-first', { 'x-fixture-mode': 'properties', authorization: 'Bearer t' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-prop-plugin-name'], 'default/ks-1');
    assert.equal(r.headers['x-auth-plugin'], 'as');
    assert.equal(up.requests.at(-1)!.headers['x-auth-user'], 'authz');
  });

  test('kitchen-sink in AUTHN, auth-callout in STATS: the 401 passes back through kitchen-sink', async () => {
    const r = await go('authn-last', { 'x-fixture-mode': 'properties' });
    assert.equal(r.status, 401);
    assert.equal(r.headers['x-prop-plugin-name'], 'default/ks-2', 'kitchen-sink saw the request first');
    assert.equal(r.headers['x-auth-plugin'], 'as');
  });

  test('priority 10 before priority 1 in one phase: callout headers arrive in that order', async () => {
    const r = await go('priority', { 'x-fixture-mode': 'callout' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(rawValues('x-callout-body'), ['callout-b', 'callout-a']);
    assert.deepEqual(rawValues('x-callout-status'), ['200', '200']);
  });

  test('equal phase and priority: by name', async () => {
    const r = await go('tie', { 'x-fixture-mode': 'callout' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(rawValues('x-callout-body'), ['callout-a', 'callout-b']);
  });
});
