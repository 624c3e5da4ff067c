// Issue 14 regression, in the harness: `["response", "code_details"]` (Higress ai-proxy) reaches the
// host as `response\0code_details` and must read as the dotted form does — `via_upstream` after an
// upstream response, the plugin's details after its local reply, an upstream-reset detail after a
// reset — with the same values the gateway gives (its test of the same name).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { loadPlugin, type TestPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const hex = (s: string) => `=${Buffer.from(s).toString('hex')}`;
const ASK = { ':method': 'GET', ':path': '/', ':authority': 'a.test', 'x-prop': 'response/code_details', 'x-prop-dotted': 'response.code_details' };

async function echo(t: TestContext): Promise<TestPlugin> {
  const plugin = await loadPlugin(fixture('wat/property-echo.wasm'));
  t.after(() => plugin.close());
  return plugin;
}

describe('issue 14: response.code_details in both path forms through the harness', () => {
  it('an upstream response: via_upstream', async (t) => {
    const s = (await echo(t)).stream();
    s.requestHeaders(ASK, { endStream: true });
    s.respond(200, { body: 'ok' });
    assert.equal(s.downstream.headers?.get('x-prop-value'), hex('via_upstream'));
    assert.equal(s.downstream.headers?.get('x-prop-dotted-value'), hex('via_upstream'));
    assert.equal(s.property('response\0code_details'), 'via_upstream');
    s.end();
  });

  it("a plugin's local reply: its details", async (t) => {
    const s = (await echo(t)).stream();
    assert.equal(s.requestHeaders({ ...ASK, 'x-prop-reply': '1' }, { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 403);
    assert.equal(s.downstream.headers?.get('x-prop-value'), hex('prop_echo_denied'));
    assert.equal(s.downstream.headers?.get('x-prop-dotted-value'), hex('prop_echo_denied'));
    s.end();
  });

  it('an upstream reset before the response headers: the 503 says upstream_reset_before_response_started', async (t) => {
    const s = (await echo(t)).stream();
    s.requestHeaders(ASK, { endStream: true });
    s.upstreamReset();
    assert.equal(s.downstream.status, 503);
    const want = hex('upstream_reset_before_response_started{connection_termination}');
    assert.equal(s.downstream.headers?.get('x-prop-value'), want);
    assert.equal(s.downstream.headers?.get('x-prop-dotted-value'), want);
    s.end();
  });

  it('an upstream reset mid-body: proxy_on_log reads upstream_reset_after_response_started', async (t) => {
    const s = (await echo(t)).stream();
    s.requestHeaders({ ...ASK, 'x-prop-phase': 'log' }, { endStream: true });
    s.responseHeaders({ ':status': '200', 'content-length': '100' });
    s.responseBody('partial');
    s.upstreamReset();
    s.end();
    const want = hex('upstream_reset_after_response_started{remote_reset}');
    const log = s.logs.map((l) => l.message);
    assert.ok(log.includes(`x-prop-value: ${want}`), log.join('\n'));
    assert.ok(log.includes(`x-prop-dotted-value: ${want}`), log.join('\n'));
  });
});
