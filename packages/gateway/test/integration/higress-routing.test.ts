/**
 * Higress configuration breadth (issue 12) through a real gateway and real upstreams: McpBridge
 * registries reached from Ingresses (`higress.io/destination`) and from plugin callouts
 * (`outbound|80||auth.static`), header/query matching, rewrites, and canaries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import {
  Cleanup, KITCHEN_SINK, REPO_ROOT, listenServer, send, service, startGateway, startUpstream, wasmPlugin,
  type Manifest, type SeenRequest, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

/** An Ingress for one host and path with annotations; `backend` is a Service name or a McpBridge resource. */
function annotated(name: string, host: string, path: string, annotations: Record<string, string>, backend: string | 'mcp', pathType = 'Prefix'): Manifest {
  const b = backend === 'mcp'
    ? { resource: { apiGroup: 'networking.higress.io', kind: 'McpBridge', name: 'default' } }
    : { service: { name: backend, port: { number: 80 } } };
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations },
    spec: { rules: [{ host, http: { paths: [{ path, pathType, backend: b }] } }] },
  };
}

describe('Higress McpBridge and routing annotations through the gateway', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let a: Upstream;
  let b: Upstream;
  let registry: Upstream;
  let calls: SeenRequest[];
  /** SNI names the TLS server saw in ClientHellos. */
  const sniSeen: string[] = [];
  before(async () => {
    // A TLS server with a self-signed certificate: the gateway verifies certificates, so the
    // handshake fails after the ClientHello, whose SNI is recorded.
    const tlsDir = join(REPO_ROOT, 'packages/gateway/test/fixtures/tls');
    const tlsServer = https.createServer({
      key: readFileSync(join(tlsDir, 'self-signed.key')), cert: readFileSync(join(tlsDir, 'self-signed.crt')),
      SNICallback: (name, cb) => { sniSeen.push(name); cb(null); },
    }, (_req, res) => res.end('tls'));
    tlsServer.on('tlsClientError', () => {});
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    bag.after(() => new Promise((r) => { tlsServer.closeAllConnections(); tlsServer.close(r); }));
    const tlsPort = (tlsServer.address() as { port: number }).port;
    a = await startUpstream(bag, (_s, res) => res.writeHead(200).end('from a'));
    b = await startUpstream(bag, (_s, res) => res.writeHead(200).end('from b'));
    registry = await startUpstream(bag, (_s, res) => res.writeHead(200).end('from registry'));
    calls = [];
    const callout = await listenServer(bag, http.createServer((req, res) => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0), trailers: {} });
      req.resume();
      res.writeHead(202, { 'content-type': 'text/plain' }).end('auth ok');
    }));
    const bridge: Manifest = {
      apiVersion: 'networking.higress.io/v1', kind: 'McpBridge', metadata: { name: 'default', namespace: 'higress-system' },
      spec: {
        registries: [
          { type: 'static', name: 'backend', domain: `127.0.0.1:${registry.port}`, port: 80 },
          { type: 'static', name: 'auth', domain: `127.0.0.1:${callout.port}`, port: 80 },
          { type: 'static', name: 'secure', domain: `127.0.0.1:${tlsPort}`, port: 443, protocol: 'HTTPS', sni: 'tls.example' },
        ],
      },
    };
    gw = await startGateway(bag, [
      service('svc-a', [`127.0.0.1:${a.port}`]),
      service('svc-b', [`127.0.0.1:${b.port}`]),
      bridge,
      annotated('bridged', 'bridge.test', '/', { 'higress.io/destination': 'backend.static' }, 'mcp'),
      annotated('split', 'split.test', '/', { 'higress.io/destination': '100% backend.static:80\n0% svc-a.default.svc.cluster.local:80' }, 'mcp'),
      annotated('tls', 'tls.test', '/', { 'higress.io/destination': 'secure.static:443' }, 'mcp'),
      annotated('callout', 'callout.test', '/', {}, 'svc-a'),
      annotated('tls-callout', 'tls-callout.test', '/', {}, 'svc-a'),
      wasmPlugin('ks-tls', KITCHEN_SINK, { defaultConfig: { calloutCluster: 'outbound|443||secure.static' }, wasmgate: { scope: { routes: ['default/tls-callout'] } } }),
      wasmPlugin('ks-callout', KITCHEN_SINK, { defaultConfig: { calloutCluster: 'outbound|80||auth.static' }, wasmgate: { scope: { routes: ['default/callout'] } } }),
      wasmPlugin('ks-props', KITCHEN_SINK, { wasmgate: { scope: { routes: ['default/bridged'] } } }),
      annotated('match-plain', 'match.test', '/api', {}, 'svc-a'),
      annotated('match-header', 'match.test', '/api', { 'higress.io/exact-match-header-x-env': 'staging' }, 'svc-b'),
      annotated('match-query', 'match.test', '/api', { 'higress.io/regex-match-query-user': 'vip-[0-9]+' }, 'svc-b'),
      annotated('rewrite', 'rewrite.test', '/old', { 'higress.io/rewrite-path': '/new', 'nginx.ingress.kubernetes.io/upstream-vhost': 'backend.internal' }, 'svc-a'),
      annotated('regex', 'rewrite.test', '/v1(/|$)(.*)', { 'higress.io/rewrite-target': '/v2/$2' }, 'svc-a', 'ImplementationSpecific'),
      annotated('base', 'canary.test', '/', {}, 'svc-a'),
      annotated('canary-h', 'canary.test', '/', { 'higress.io/canary': 'true', 'higress.io/canary-by-header': 'x-canary' }, 'svc-b'),
      annotated('w0-base', 'w0.test', '/', {}, 'svc-a'),
      annotated('w0-canary', 'w0.test', '/', { 'higress.io/canary': 'true', 'higress.io/canary-weight': '0' }, 'svc-b'),
      annotated('w100-base', 'w100.test', '/', {}, 'svc-a'),
      annotated('w100-canary', 'w100.test', '/', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '100' }, 'svc-b'),
    ]);
  });
  after(() => bag.run());
  const get = (host: string, path = '/', headers: http.OutgoingHttpHeaders = {}) => send(gw.port, { path, headers: { host, ...headers } });

  test('an Ingress reaches a McpBridge static registry through higress.io/destination', async () => {
    const before = registry.requests.length;
    const r = await get('bridge.test', '/hello?x=1', { 'x-fixture-mode': 'properties' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'from registry');
    assert.equal(registry.requests.length, before + 1);
    assert.equal(registry.requests.at(-1)!.url, '/hello?x=1');
    assert.equal(r.headers['x-prop-cluster-name'], 'outbound|80||backend.static');
    assert.equal(r.headers['x-prop-route-name'], 'default/bridged');
  });

  test('weighted destinations: 100% / 0% always picks the first', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get('split.test')).body, 'from registry');
  });

  test('an https registry is reached over TLS with its sni, from a route and from a callout (self-signed: rejected, 503)', async () => {
    const r = await get('tls.test');
    assert.equal(r.status, 503, r.body);
    assert.deepEqual(sniSeen, ['tls.example']);
    const before = a.requests.length;
    const c = await get('tls-callout.test', '/', { 'x-fixture-mode': 'callout' });
    assert.equal(c.status, 200, c.body);
    assert.equal(a.requests.length, before + 1);
    assert.equal(a.requests.at(-1)!.headers['x-callout-status'], '503', 'the failed handshake reaches the plugin as a 503 answer');
    assert.deepEqual(sniSeen, ['tls.example', 'tls.example']);
  });

  test('a kitchen-sink callout to outbound|80||auth.static reaches the McpBridge static service', async () => {
    const before = a.requests.length;
    const r = await get('callout.test', '/work', { 'x-fixture-mode': 'callout' });
    assert.equal(r.status, 200, r.body);
    assert.equal(a.requests.length, before + 1);
    const seen = a.requests.at(-1)!;
    assert.equal(seen.headers['x-callout-status'], '202');
    assert.equal(seen.headers['x-callout-body'], 'auth ok');
    assert.equal(calls.at(-1)!.url, '/callout');
  });

  test('header and query match annotations pick the route', async () => {
    assert.equal((await get('match.test', '/api/x')).body, 'from a');
    assert.equal((await get('match.test', '/api/x', { 'x-env': 'staging' })).body, 'from b');
    assert.equal((await get('match.test', '/api/x', { 'x-env': 'prod' })).body, 'from a');
    assert.equal((await get('match.test', '/api/x?user=vip-42')).body, 'from b');
    assert.equal((await get('match.test', '/api/x?user=vip-x')).body, 'from a');
  });

  test('rewrite-path and upstream-vhost change what the upstream sees', async () => {
    const r = await get('rewrite.test', '/old/list?page=2');
    assert.equal(r.status, 200, r.body);
    const seen = a.requests.at(-1)!;
    assert.equal(seen.url, '/new/list?page=2');
    assert.equal(seen.headers.host, 'backend.internal');
  });

  test('rewrite-target with capture groups rewrites a regex path', async () => {
    const r = await get('rewrite.test', '/v1/app/items?q=1');
    assert.equal(r.status, 200, r.body);
    const seen = a.requests.at(-1)!;
    assert.equal(seen.url, '/v2/app/items?q=1');
    assert.equal(seen.headers.host, 'rewrite.test');
  });

  test('canary by header: "always" goes to the canary, anything else to the base', async () => {
    assert.equal((await get('canary.test', '/x', { 'x-canary': 'always' })).body, 'from b');
    assert.equal((await get('canary.test', '/x', { 'x-canary': 'never' })).body, 'from a');
    assert.equal((await get('canary.test', '/x')).body, 'from a');
  });

  test('canary by weight: 0 never and 100 always reaches the canary', async () => {
    for (let i = 0; i < 6; i++) {
      assert.equal((await get('w0.test')).body, 'from a');
      assert.equal((await get('w100.test')).body, 'from b');
    }
  });
});
