// The SDK's mock-response example (examples/as/mock-response) against the Go fixture it re-implements:
// every row of fixtures/go/mock-response/README.md's table, same status, body, headers and log lines.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin, REPO_ROOT } from './build-plugin.js';

const CONFIG = {
  content: 'hello higress',
  _rules_: [
    { _match_route_: ['default/foo'], content: 'hello foo' },
    { _match_domain_: ['*.example.com', 'www.test.com'], content: 'hello world' },
  ],
};

/** [route_name (undefined = absent), :authority (undefined = absent), body, log line]. */
const ROWS: [string | undefined, string | undefined, string, string][] = [
  ['default/foo', 'anything.test', 'hello foo', 'mock-response: rule 0 matched route "default/foo"'],
  ['default/other', 'a.example.com:8080', 'hello world', 'mock-response: rule 1 matched domain "*.example.com" (host "a.example.com")'],
  [undefined, 'a.example.com:8080', 'hello world', 'mock-response: rule 1 matched domain "*.example.com" (host "a.example.com")'],
  ['default/other', 'WWW.Test.com', 'hello world', 'mock-response: rule 1 matched domain "www.test.com" (host "www.test.com")'],
  [undefined, 'WWW.Test.com', 'hello world', 'mock-response: rule 1 matched domain "www.test.com" (host "www.test.com")'],
  ['default/other', 'example.com', 'hello higress', 'mock-response: no rule matched; global content'],
  [undefined, 'example.com', 'hello higress', 'mock-response: no rule matched; global content'],
  [undefined, undefined, 'hello higress', 'mock-response: no rule matched; global content'],
];

describe('examples/as/mock-response answers like the Go mock-response fixture', () => {
  let go: TestPlugin;
  let sdk: TestPlugin;
  before(async () => {
    go = await loadPlugin(join(REPO_ROOT, 'fixtures/go/mock-response/plugin.wasm'), { name: 'mock-response', config: CONFIG });
    sdk = await loadPlugin(await buildPlugin('examples/as/mock-response/assembly/index.ts'), { name: 'mock-response', config: CONFIG });
  });
  after(() => { go.close(); sdk.close(); });

  const run = (plugin: TestPlugin, route: string | undefined, authority: string | undefined) => {
    const s = plugin.stream({ properties: route === undefined ? {} : { route_name: route } });
    const headers: Record<string, string> = { ':method': 'GET', ':path': '/', ':scheme': 'http' };
    if (authority !== undefined) headers[':authority'] = authority;
    s.requestHeaders(headers, { endStream: true });
    const out = {
      status: s.downstream.status,
      body: s.downstream.body,
      headers: s.downstream.headers?.ordered() ?? [],
      aborted: s.upstream.aborted,
      logs: s.logs.filter((l) => l.source === 'proxy_log').map((l) => `${l.level} ${l.message}`),
    };
    s.end();
    return out;
  };

  for (const [route, authority, body, line] of ROWS) {
    it(`route ${route ?? '(absent)'}, :authority ${authority ?? '(absent)'} → ${body}`, () => {
      const want = run(go, route, authority);
      const got = run(sdk, route, authority);
      assert.equal(want.status, 200);
      assert.equal(want.body, body);
      assert.deepEqual(want.logs, [`info ${line}`]);
      assert.deepEqual(got, want);
    });
  }
});
