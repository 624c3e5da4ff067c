// mock-response (Go): route and domain rules from a Higress-style `_rules_` configuration, the
// global fallback, pass-through without content, and rejected configurations, exactly as
// fixtures/go/mock-response/README.md lists them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FilterHeadersStatus, loadPlugin, type TestPlugin, WasmgateError } from '../src/index.js';
import { MOCK_RESPONSE } from './fixtures.js';

const CONFIG = {
  content: 'hello higress',
  _rules_: [
    { _match_route_: ['default/foo'], content: 'hello foo' },
    { _match_domain_: ['*.example.com', 'www.test.com'], content: 'hello world' },
  ],
};

describe('mock-response with route and domain rules', () => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await loadPlugin(MOCK_RESPONSE, { config: CONFIG });
  });
  after(() => plugin.close());

  it('logs its configuration at info', () => {
    assert.deepEqual(plugin.logsAt('info'), ['mock-response: configured with 2 rules']);
  });

  const rows: { name: string; route?: string; authority?: string; body: string; log: string }[] = [
    { name: 'route rule via the route_name property', route: 'default/foo', authority: 'a.example.com', body: 'hello foo', log: 'mock-response: rule 0 matched route "default/foo"' },
    { name: 'domain wildcard, port stripped', route: 'default/bar', authority: 'a.example.com:8080', body: 'hello world', log: 'mock-response: rule 1 matched domain "*.example.com" (host "a.example.com")' },
    { name: 'exact domain, case-insensitive', authority: 'WWW.Test.com', body: 'hello world', log: 'mock-response: rule 1 matched domain "www.test.com" (host "www.test.com")' },
    { name: 'no rule matches: global content', authority: 'example.com', body: 'hello higress', log: 'mock-response: no rule matched; global content' },
    { name: 'no route, no authority: global content', body: 'hello higress', log: 'mock-response: no rule matched; global content' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      plugin.clearLogs();
      const s = plugin.stream({ properties: row.route ? { route_name: row.route } : {} });
      const headers: Record<string, string> = { ':method': 'GET', ':path': '/', ':scheme': 'http' };
      if (row.authority) headers[':authority'] = row.authority;
      const r = s.requestHeaders(headers, { endStream: true });
      // The plugin returns 1; after a local reply the host reports a stop-all (Envoy's rule).
      assert.equal(r.action, 'local-reply');
      assert.equal(r.status, FilterHeadersStatus.StopAllIterationAndWatermark);
      assert.equal(s.localReply?.status, 200);
      assert.equal(s.downstream.status, 200);
      assert.equal(s.downstream.headers?.get('content-type'), 'text/plain');
      assert.equal(s.downstream.body, row.body);
      assert.equal(s.upstream.headers, undefined, 'nothing reaches the upstream');
      assert.equal(s.upstream.aborted, true);
      assert.deepEqual(s.logs.filter((l) => l.level === 'info').map((l) => l.message), [row.log]);
      s.end();
    });
  }
});

describe('mock-response without global content', () => {
  it('passes a request no rule matches through unchanged', async (t) => {
    const plugin = await loadPlugin(MOCK_RESPONSE, { config: { _rules_: [{ _match_route_: ['default/foo'], content: 'hello foo' }] } });
    t.after(() => plugin.close());
    const s = plugin.stream({ properties: { route_name: 'default/other' } });
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/x', ':authority': 'example.com' }, { endStream: true });
    assert.equal(r.action, 'continue');
    assert.equal(r.status, FilterHeadersStatus.Continue);
    assert.equal(s.upstream.headers?.get(':path'), '/x');
    assert.deepEqual(plugin.logsAt('info').at(-1), 'mock-response: no rule matched and no global content; passing through');
    s.respond(204);
    assert.equal(s.downstream.status, 204);
    s.end();
  });
});

describe('mock-response rejects bad configurations at load', () => {
  const cases: [string, string | object, string][] = [
    ['empty', '', 'it is empty'],
    ['not an object', '[1]', 'not a JSON object'],
    ['malformed JSON', '{not json', "invalid character 'n' looking for beginning of object key string"],
    ['wrong type', { content: 5 }, 'json: cannot unmarshal number into Go struct field config.content of type string'],
    ['rule without matcher', { _rules_: [{ content: 'x' }] }, '_rules_[0] has neither _match_route_ nor _match_domain_'],
    ['rule without content', { _rules_: [{ _match_route_: ['a'] }] }, '_rules_[0] has no content'],
  ];
  for (const [name, config, ending] of cases) {
    it(name, async () => {
      await assert.rejects(loadPlugin(MOCK_RESPONSE, { config }), (e: unknown) => {
        assert.ok(e instanceof WasmgateError);
        assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
        const line = e.details.find((d) => d.startsWith('mock-response: invalid configuration: '));
        assert.ok(line, `details hold the plugin's error log: ${JSON.stringify(e.details)}`);
        assert.ok(line.endsWith(ending), line);
        return true;
      });
    });
  }
});
