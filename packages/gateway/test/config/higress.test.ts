// Higress configuration breadth (issue 12): McpBridge registries as Services, Ingress backends
// through `higress.io/destination`, and the routing annotations (match, rewrite, canary, case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCluster, matchRoute, type Config } from '../../src/config/index.js';
import { pickDestination, upstreamRequest } from '../../src/config/match-route.js';
import { ECHO_SERVICE, brief, loadText, mustLoad } from './helpers.js';

const BRIDGE = `apiVersion: networking.higress.io/v1
kind: McpBridge
metadata: {name: default, namespace: higress-system}
spec:
  registries:
  - {type: static, name: auth, domain: "127.0.0.1:9001, 127.0.0.2:9002", port: 80}
  - {type: dns, name: llm, domain: api.example.com, port: 443, protocol: HTTPS, sni: llm.example.com}
  - {type: dns, name: plain, domain: Plain.Example.com}
`;

/** A header map for matchRoute. */
const req = (method: string, headers: Record<string, string> = {}) => ({
  get: (name: string) => (name === ':method' ? method : headers[name]),
});

test('McpBridge static and dns registries become Services named <name>.static / <name>.dns', () => {
  const config = mustLoad(BRIDGE);
  assert.deepEqual(config.services.map((s) => `${s.namespace}/${s.name} ${s.fqdn}`), [
    'higress-system/auth.static auth.static',
    'higress-system/llm.dns llm.dns',
    'higress-system/plain.dns plain.dns',
  ]);
  const [auth, llm, plain] = config.services;
  assert.deepEqual(auth!.endpoints, [{ host: '127.0.0.1', port: 9001 }, { host: '127.0.0.2', port: 9002 }]);
  assert.deepEqual(auth!.ports, [{ port: 80 }]);
  assert.equal(auth!.tls, false);
  assert.deepEqual(auth!.registry, { type: 'static', bridge: 'higress-system/default' });
  assert.deepEqual(llm!.endpoints, [{ host: 'api.example.com', port: 443 }]);
  assert.equal(llm!.tls, true, 'protocol https (any case) means TLS');
  assert.equal(llm!.sni, 'llm.example.com');
  assert.deepEqual(plain!.endpoints, [{ host: 'plain.example.com', port: 80 }], 'dns port defaults to 80');
  const ep = (name: string) => {
    const t = findCluster(config, name);
    return t ? `${t.service.name}:${t.port} ${t.endpoints.map((e) => `${e.host}:${e.port}`).join(',')}` : 'none';
  };
  assert.equal(ep('outbound|80||auth.static'), 'auth.static:80 127.0.0.1:9001,127.0.0.2:9002');
  assert.equal(ep('outbound|443||llm.dns'), 'llm.dns:443 api.example.com:443');
  assert.equal(ep('outbound|80||nope.static'), 'none');
});

test('McpBridge problems: discovery registries are skipped with a warning; bad domains, grpc and name clashes are errors', () => {
  const r = loadText(`apiVersion: networking.higress.io/v1
kind: McpBridge
metadata: {name: default}
spec:
  registries:
  - {type: nacos2, name: nacos, domain: 127.0.0.1, port: 8848, nacosNamespaceId: abc}
  - {type: static, name: bad, domain: "1.2.3.4"}
  - {type: dns, name: worse, domain: "http://x.com"}
  - {type: dns, name: rpc, domain: x.com, protocol: GRPC}
  - {type: static, name: nodomain}
  - {type: static, name: plain, domain: "1.2.3.4:80", sni: x}
  - {type: static, name: redis, domain: "1.2.3.4:6379"}
---
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: cache}
spec:
  endpoints: ["127.0.0.1:6379"]
  aliases: [redis.static]
`);
  assert.deepEqual(brief(r.errors), [
    'WG_CONFIG_INVALID 7:39 spec.registries[1].domain',
    'WG_CONFIG_INVALID 8:38 spec.registries[2].domain',
    'WG_CONFIG_INVALID 9:53 spec.registries[3].protocol',
    'WG_CONFIG_INVALID 10:5 spec.registries[4]',
    'WG_CONFIG_DUPLICATE 12:26 spec.registries[6].name',
  ]);
  assert.match(r.errors[0]!.message, /static endpoint "1.2.3.4" must be "host:port"/);
  assert.match(r.errors[2]!.message, /protocol "GRPC" is not supported/);
  assert.match(r.errors[4]!.message, /cluster name "redis.static" is already claimed/);
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_IGNORED 6:12 spec.registries[0].type', 'WG_CONFIG_IGNORED 11:60 spec.registries[5].sni']);
  assert.match(r.warnings[0]!.message, /registry type "nacos2" needs a discovery server.*registry "nacos" is skipped/);
});

const DEST_INGRESS = (annotations: string, backend = 'resource: {apiGroup: networking.higress.io, kind: McpBridge, name: default}') => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ai
  annotations:
${annotations}
spec:
  rules:
  - http:
      paths:
      - path: /v1
        pathType: Prefix
        backend:
          ${backend}
`;

test('an Ingress reaches a registry through backend.resource + higress.io/destination', () => {
  const config = mustLoad(BRIDGE + DEST_INGRESS('    higress.io/destination: auth.static'));
  const [route] = config.routes;
  assert.equal(route!.clusterName, 'outbound|80||auth.static');
  assert.deepEqual(route!.service, { namespace: 'higress-system', name: 'auth.static', fqdn: 'auth.static' });
  assert.deepEqual(route!.endpoints, [{ host: '127.0.0.1', port: 9001 }, { host: '127.0.0.2', port: 9002 }]);
  assert.equal(route!.destinations, undefined);
  const tls = mustLoad(BRIDGE + DEST_INGRESS('    higress.io/destination: llm.dns:443')).routes[0]!;
  assert.equal(tls.clusterName, 'outbound|443||llm.dns');
  assert.equal(tls.tls, true);
  assert.equal(tls.sni, 'llm.example.com');
});

test('weighted higress.io/destination lines split traffic; weights must add up to 100', () => {
  const config = mustLoad(BRIDGE + ECHO_SERVICE.replace('apiVersion', '---\napiVersion') + DEST_INGRESS('    higress.io/destination: |\n      30% auth.static:80\n      70% echo.default.svc.cluster.local:80'));
  const route = config.routes[0]!;
  assert.deepEqual(route.destinations!.map((d) => `${d.weight} ${d.clusterName}`), ['30 outbound|80||auth.static', '70 outbound|80||echo.default.svc.cluster.local']);
  assert.equal(pickDestination(route, 0.29).clusterName, 'outbound|80||auth.static');
  assert.equal(pickDestination(route, 0.3).clusterName, 'outbound|80||echo.default.svc.cluster.local');
  assert.deepEqual(pickDestination(route, 0.99).endpoints, [{ host: '127.0.0.1', port: 9000 }]);

  const bad = loadText(BRIDGE + DEST_INGRESS('    higress.io/destination: |\n      30% auth.static\n      60% plain.dns'));
  assert.deepEqual(brief(bad.errors), ['WG_CONFIG_INVALID 15:29 metadata.annotations["higress.io/destination"]']);
  assert.match(bad.errors[0]!.message, /add up to 90, not 100/);
});

test('destination and resource backend mistakes are located', () => {
  const unknown = loadText(BRIDGE + DEST_INGRESS('    higress.io/destination: nope.dns:80'));
  assert.deepEqual(brief(unknown.errors), ['WG_CONFIG_REF_NOT_FOUND 15:29 metadata.annotations["higress.io/destination"]']);
  assert.match(unknown.errors[0]!.message, /no Service or McpBridge registry is named "nope.dns"/);
  assert.match(unknown.errors[0]!.hint!, /registries: auth.static, llm.dns, plain.dns/);

  const missing = loadText(BRIDGE + DEST_INGRESS('    x: y'));
  assert.deepEqual(brief(missing.errors), ['WG_CONFIG_INVALID 23:21 spec.rules[0].http.paths[0].backend.resource']);
  assert.match(missing.errors[0]!.message, /needs the higress.io\/destination annotation/);

  const kind = loadText(BRIDGE + DEST_INGRESS('    higress.io/destination: auth.static', 'resource: {apiGroup: example.com, kind: Bucket, name: b}'));
  assert.deepEqual(brief(kind.errors), ['WG_CONFIG_INVALID 23:21 spec.rules[0].http.paths[0].backend.resource']);
  assert.match(kind.errors[0]!.message, /resource backend example.com\/Bucket is not supported/);

  const onService = loadText(ECHO_SERVICE + DEST_INGRESS('    higress.io/destination: auth.static', 'service: {name: echo, port: {number: 80}}'));
  assert.deepEqual(brief(onService.errors), []);
  assert.match(onService.warnings[0]!.message, /higress.io\/destination has no effect: no backend of this Ingress is a McpBridge resource/);
});

/** An Ingress `name` for `path` with the given annotations, to the echo Service. */
const ingress = (name: string, path: string, annotations: Record<string, string>, pathType = 'Prefix', host?: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations: ${JSON.stringify(annotations)}
spec:
  rules:
  - ${host ? `host: ${host}\n    ` : ''}http:
      paths:
      - {path: "${path}", pathType: ${pathType}, backend: {service: {name: ${name.startsWith('canary') ? 'canary' : 'echo'}, port: {number: 80}}}}
`;
const CANARY_SERVICE = `---
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: canary}
spec:
  endpoints: ["127.0.0.1:9999"]
`;

const route = (config: Config, path: string, method = 'GET', headers: Record<string, string> = {}) =>
  matchRoute(config, 'any.test', path, req(method, headers))?.name ?? 'none';

test('header, query and method annotations add route conditions; conditional routes are tried first', () => {
  const config = mustLoad(
    ECHO_SERVICE +
      ingress('plain', '/api', {}) +
      ingress('by-header', '/api', { 'higress.io/exact-match-header-x-user': 'vip', 'higress.io/prefix-match-header-X-Client': 'app-' }) +
      ingress('by-regex', '/api', { 'higress.io/regex-match-header-x-ver': 'v[0-9]+' }) +
      ingress('by-query', '/api', { 'higress.io/exact-match-query-mode': 'beta', 'higress.io/prefix-match-query-q': 'a' }) +
      ingress('by-method', '/api', { 'nginx.ingress.kubernetes.io/match-method': 'POST put bogus' }),
  );
  assert.deepEqual(config.routes.map((r) => r.ingress), ['by-method', 'by-header', 'by-regex', 'by-query', 'plain']);
  const h = config.routes.find((r) => r.ingress === 'by-header')!;
  assert.deepEqual(h.headers, [{ name: 'x-user', type: 'exact', value: 'vip' }, { name: 'x-client', type: 'prefix', value: 'app-' }]);
  assert.deepEqual(config.routes[0]!.methods, ['POST', 'PUT']);
  assert.equal(route(config, '/api/x'), 'default/plain');
  assert.equal(route(config, '/api/x', 'GET', { 'x-user': 'vip' }), 'default/plain', 'every header condition must hold');
  assert.equal(route(config, '/api/x', 'GET', { 'x-user': 'vip', 'x-client': 'app-ios' }), 'default/by-header');
  assert.equal(route(config, '/api', 'GET', { 'x-ver': 'v12' }), 'default/by-regex');
  assert.equal(route(config, '/api', 'GET', { 'x-ver': 'v12x' }), 'default/plain', 'regex matches the whole value');
  assert.equal(route(config, '/api/x?mode=beta&q=abc'), 'default/by-query');
  assert.equal(route(config, '/api/x?mode=beta2&q=abc'), 'default/plain');
  assert.equal(route(config, '/api/x', 'PUT'), 'default/by-method');
  assert.equal(matchRoute(config, 'any.test', '/api/x')?.name, 'default/plain', 'without request headers, conditional routes never match');
});

test('unsupported annotations are warnings naming them, at their position; regex mistakes are errors', () => {
  const r = loadText(
    ECHO_SERVICE +
      ingress('a', '/a', {
        'higress.io/enable-cors': 'true',
        'nginx.ingress.kubernetes.io/exact-match-header-x': '1',
        'higress.io/no-such-thing': 'x',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'higress.io/regex-match-query-q': '(',
      }),
  );
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.col} ${e.message.slice(0, 45)}`), [
    'WG_CONFIG_INVALID 12:224 "(" is not a valid regular expression: Invali',
  ]);
  assert.deepEqual(r.warnings.map((e) => `${e.code} ${e.location?.line}:${e.location?.col} ${e.location?.path} ${e.message}`), [
    'WG_CONFIG_IGNORED 12:42 metadata.annotations["higress.io/enable-cors"] annotation higress.io/enable-cors is not supported by wasmgate; it has no effect',
    'WG_CONFIG_IGNORED 12:100 metadata.annotations["nginx.ingress.kubernetes.io/exact-match-header-x"] annotation nginx.ingress.kubernetes.io/exact-match-header-x has no effect: Higress reads exact-match-header-x only as higress.io/exact-match-header-x',
    'WG_CONFIG_IGNORED 12:131 metadata.annotations["higress.io/no-such-thing"] annotation higress.io/no-such-thing is not one Higress reads; it has no effect',
  ]);
});

test('rewrite-path, rewrite-target (regex paths) and upstream-vhost change the upstream request', () => {
  const config = mustLoad(
    ECHO_SERVICE +
      ingress('prefix', '/old', { 'higress.io/rewrite-path': '/new', 'higress.io/upstream-vhost': 'backend.internal' }) +
      ingress('exact', '/exact', { 'higress.io/rewrite-path': '/other' }, 'Exact') +
      ingress('regex', '/v1(/|$)(.*)', { 'nginx.ingress.kubernetes.io/rewrite-target': '/v2/$2' }, 'ImplementationSpecific') +
      ingress('root', '/', { 'higress.io/rewrite-path': '/base' }, 'Prefix', 'root.test'),
  );
  const up = (host: string, path: string) => {
    const r = matchRoute(config, host, path, req('GET'))!;
    const u = upstreamRequest(r, path, host);
    return `${r.ingress} ${u.authority}${u.path}`;
  };
  assert.equal(up('a.test', '/old/x/y?q=1'), 'prefix backend.internal/new/x/y?q=1');
  assert.equal(up('a.test', '/old'), 'prefix backend.internal/new/');
  assert.equal(up('a.test', '/exact?z'), 'exact a.test/other?z');
  assert.equal(up('a.test', '/v1/app/list?x=1'), 'regex a.test/v2/app/list?x=1');
  assert.equal(up('a.test', '/v1'), 'regex a.test/v2/');
  assert.equal(up('root.test', '/x'), 'root root.test/base/x');
  const regex = config.routes.find((r) => r.ingress === 'regex')!;
  assert.equal(regex.pathRegex, '/v1(/|$)(.*).*');
  assert.deepEqual(regex.rewrite, { regex: { pattern: '/v1(/|$)(.*).*', substitution: '/v2/$2' } });
  assert.deepEqual(config.routes.map((r) => r.ingress), ['root', 'exact', 'prefix', 'regex'], 'exact hosts first; regex paths after Prefix paths');
});

test('ignore-path-case and use-regex change how paths compare', () => {
  const config = mustLoad(
    ECHO_SERVICE +
      ingress('nocase', '/Docs', { 'higress.io/ignore-path-case': 'true' }) +
      ingress('rx', '/items/[0-9]+', { 'nginx.ingress.kubernetes.io/use-regex': 'true' }),
  );
  assert.equal(route(config, '/DOCS/Intro'), 'default/nocase');
  assert.equal(route(config, '/docs'), 'default/nocase');
  assert.equal(route(config, '/items/42/x'), 'default/rx');
  assert.equal(route(config, '/items/x'), 'none');
});

test('canary by header, header value, cookie and weight, as Higress merges them into the base route', () => {
  const config = mustLoad(
    ECHO_SERVICE + CANARY_SERVICE +
      ingress('base', '/app', { 'higress.io/rewrite-path': '/v' }) +
      ingress('canary-h', '/app', { 'higress.io/canary': 'true', 'higress.io/canary-by-header': 'X-Canary' }) +
      ingress('canary-v', '/app', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-by-header': 'x-ver', 'nginx.ingress.kubernetes.io/canary-by-header-value': 'v2' }) +
      ingress('canary-c', '/app', { 'higress.io/canary': 'true', 'higress.io/canary-by-cookie': 'beta' }) +
      ingress('base2', '/w', {}) +
      ingress('canary-w', '/w', { 'higress.io/canary': 'true', 'higress.io/canary-weight': '30' }),
  );
  assert.equal(route(config, '/app'), 'default/base');
  assert.equal(route(config, '/app', 'GET', { 'x-canary': 'always' }), 'default/canary-h');
  assert.equal(route(config, '/app', 'GET', { 'x-canary': 'yes' }), 'default/base');
  assert.equal(route(config, '/app', 'GET', { 'x-ver': 'v2' }), 'default/canary-v');
  assert.equal(route(config, '/app', 'GET', { 'x-ver': 'always' }), 'default/canary-v');
  assert.equal(route(config, '/app', 'GET', { cookie: 'a=1; beta=always' }), 'default/canary-c');
  const canary = config.routes.find((r) => r.ingress === 'canary-h')!;
  assert.equal(canary.clusterName, 'outbound|80||canary.default.svc.cluster.local');
  assert.deepEqual(canary.rewrite, { path: '/v' }, 'a header canary inherits the base route settings');
  assert.equal(canary.canaryOf, 'default/canary-h');
  const w = config.routes.find((r) => r.ingress === 'base2')!;
  assert.deepEqual(w.destinations!.map((d) => `${d.weight} ${d.service.name}`), ['70 echo', '30 canary']);
  assert.equal(config.routes.some((r) => r.ingress === 'canary-w'), false, 'a weight canary is no route of its own');
});

test('canary annotations without canary: "true", and canaries without a base route, are warnings', () => {
  const r = loadText(
    ECHO_SERVICE + CANARY_SERVICE +
      ingress('lonely', '/x', { 'higress.io/canary-weight': '10' }) +
      ingress('canary-orphan', '/nowhere', { 'higress.io/canary': 'true', 'higress.io/canary-weight': '10' }),
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings.map((w) => `${w.location?.line} ${w.message}`), [
    '18 canary-weight has no effect without canary: "true"',
    '34 canary default/canary-orphan has no non-canary route for Prefix /nowhere, so this path routes nothing',
  ]);
});

test('canary weights 0 and 100 are deterministic', () => {
  const load = (weight: string) =>
    mustLoad(ECHO_SERVICE + CANARY_SERVICE + ingress('base', '/', {}) + ingress('canary', '/', { 'higress.io/canary': 'true', 'higress.io/canary-weight': weight }));
  for (const x of [0, 0.5, 0.999]) {
    assert.equal(pickDestination(load('0').routes[0]!, x).service.name, 'echo');
    assert.equal(pickDestination(load('100').routes[0]!, x).service.name, 'canary');
  }
});
