/**
 * The examples/mock-response folder served as it is: the Go mock-response plugin answers every
 * request itself, per route (`_match_route_`) and per domain (`_match_domain_`), so nothing listens
 * behind the Service and no request may reach it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Cleanup, REPO_ROOT, linesWith, send, startGateway, type TestGateway } from '../helpers/gateway.js';

describe('examples/mock-response through a real listener', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(bag, { paths: [join(REPO_ROOT, 'examples', 'mock-response')] });
  });
  after(() => bag.run());

  const cases: [string, string, string, string][] = [
    // [title, path, Host header, expected body]
    ['route default/foo', '/foo', 'anything.test', 'hello foo'],
    ['route default/foo, deeper path', '/foo/bar?x=1', 'a.example.com', 'hello foo'],
    ['route default/bar', '/bar', 'anything.test', 'hello bar'],
    ['catch-all route, no domain rule', '/other', 'plain.test', 'hello higress'],
    ['catch-all, *.example.com with a port', '/other', 'a.example.com:8080', 'hello world'],
    ['catch-all, www.test.com', '/', 'www.test.com', 'hello world'],
    ['catch-all, WWW.Test.com (case-insensitive)', '/', 'WWW.Test.com', 'hello world'],
    ['catch-all, example.com is not *.example.com', '/', 'example.com', 'hello higress'],
  ];
  for (const [title, path, host, body] of cases) {
    test(`${title} → ${body}`, async () => {
      const r = await send(gw.port, { path, headers: { host } });
      assert.equal(r.status, 200);
      assert.equal(r.body, body);
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.equal(r.headers['content-length'], String(body.length));
    });
  }

  test('the plugin logged which rule matched; the access log names the route', async () => {
    await send(gw.port, { path: '/foo', headers: { host: 'x.test' } });
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'mock-response: rule 0 matched route "default/foo"').length > 0, gw.logs.join('\n'));
    await send(gw.port, { path: '/z', headers: { host: 'a.example.com:8080' } });
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'mock-response: rule 2 matched domain "*.example.com" (host "a.example.com")').length > 0);
    await gw.gateway.settle();
    const last = gw.access.at(-1)!;
    assert.equal(last.route, 'default/catch-all');
    assert.equal(last.status, 200);
    assert.equal(last.path, '/z');
  });

  test('a POST with a body is answered locally too', async () => {
    const r = await send(gw.port, { method: 'POST', path: '/bar', headers: { host: 'x.test' }, body: 'ignored body' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello bar');
  });
});
