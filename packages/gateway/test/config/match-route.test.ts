// matchRoute: Ingress matching as Envoy does it for the routes Higress builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatches, loadConfig, matchRoute, normalizeHost, pathMatches, routesHaveConditions } from '../../src/config/index.js';
import type { RouteConfig } from '../../src/config/index.js';
import { CASES } from './helpers.js';

const { config } = loadConfig(`${CASES}routes`);
const hit = (host: string, path: string): string => {
  const r = matchRoute(config!, host, path);
  return r ? `${r.name} ${r.host ?? '-'} ${r.pathType} ${r.path}${r.isDefaultBackend ? ' (default)' : ''}` : 'none';
};

test('exact host, case-insensitive, port and query ignored; the longest prefix wins', () => {
  assert.equal(hit('API.Example.com:8080', '/v1/users/42?x=/v1'), 'default/api api.example.com Prefix /v1/users');
  assert.equal(hit('api.example.com', '/v1'), 'default/api api.example.com Prefix /v1');
  assert.equal(hit('api.example.com', '/v1/'), 'default/api api.example.com Prefix /v1');
  assert.equal(hit('api.example.com', '/v1#frag'), 'default/api api.example.com Prefix /v1');
});

test('prefixes match whole path elements: /v1 does not match /v1x', () => {
  assert.equal(hit('api.example.com', '/v1x'), 'default/api api.example.com Prefix /');
  assert.equal(hit('api.example.com', '/v1/usersfoo'), 'default/api api.example.com Prefix /v1');
});

test('Exact paths match only themselves', () => {
  assert.equal(hit('api.example.com', '/health'), 'default/api api.example.com Exact /health');
  assert.equal(hit('api.example.com', '/health/'), 'default/api api.example.com Prefix /');
  assert.equal(hit('api.example.com', '/health?probe=1'), 'default/api api.example.com Exact /health');
});

test('a host that selects its rules gets no route when no path matches (no fall-through, as in Envoy)', () => {
  assert.equal(hit('only.example.com', '/foo'), 'default/api only.example.com Prefix /foo');
  assert.equal(hit('only.example.com', '/foo/bar'), 'default/api only.example.com Prefix /foo');
  assert.equal(hit('only.example.com', '/foobar'), 'none');
  assert.equal(hit('only.example.com', '/static/x'), 'none');
});

test('wildcards: the longest matching suffix, any depth, never the bare domain', () => {
  assert.equal(hit('x.eu.example.com', '/'), 'default/wild *.eu.example.com Prefix /');
  assert.equal(hit('a.b.example.com:443', '/any'), 'default/wild *.example.com Prefix /');
  assert.equal(hit('eu.example.com', '/'), 'default/wild *.example.com Prefix /');
  assert.equal(hit('example.com', '/static/app.js'), 'default/catchall - Prefix /static');
});

test('host-less rules, then the default backend, catch other hosts', () => {
  assert.equal(hit('[::1]:8080', '/static'), 'default/catchall - Prefix /static');
  assert.equal(hit('other.test', '/staticx'), 'default/catchall - Prefix / (default)');
  assert.equal(hit('', '/'), 'default/catchall - Prefix / (default)');
});

test('no routes at all: nothing matches', () => {
  assert.equal(matchRoute({ routes: [] }, 'a.com', '/'), undefined);
});

test('routesHaveConditions: whether matching reads more than host and path (the exchange skips re-matching otherwise)', () => {
  assert.equal(routesHaveConditions(config!), false);
  assert.equal(routesHaveConditions(config!), false, 'cached per routes list, same answer');
  assert.equal(routesHaveConditions({ routes: [] }), false);
  const base = config!.routes[0]!;
  for (const extra of [{ methods: ['GET'] }, { headers: [{ name: 'x-a', value: 'b' }] }, { queryParams: [{ name: 'q', value: '1' }] }, { cookies: [{ name: 'c', value: '1' }] }]) {
    assert.equal(routesHaveConditions({ routes: [base, { ...base, ...extra } as unknown as RouteConfig] }), true, JSON.stringify(extra));
  }
});

test('the helpers behave as documented', () => {
  assert.equal(normalizeHost('Example.COM:8080'), 'example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost('a.com'), 'a.com');
  assert.equal(hostMatches('*.a.com', 'x.a.com'), true);
  assert.equal(hostMatches('*.a.com', 'a.com'), false);
  assert.equal(hostMatches('*.a.com', 'xa.com'), false);
  assert.equal(hostMatches(undefined, 'anything'), true);
  assert.equal(hostMatches('api.*', 'api.example.com'), true);
  assert.equal(hostMatches('api.*', 'api.'), false);
  assert.equal(hostMatches('api.*', 'apix.com'), false);
  assert.equal(pathMatches({ path: '/foo/', pathType: 'Prefix' }, '/foo'), true);
  assert.equal(pathMatches({ path: '/foo', pathType: 'Prefix' }, '/foobar'), false);
  assert.equal(pathMatches({ path: '/', pathType: 'Prefix' }, '/anything'), true);
  assert.equal(pathMatches({ path: '/foo', pathType: 'Exact' }, '/foo/'), false);
});
