/**
 * Issue 14 regression: Higress's ai-proxy reads `["response", "code_details"]`, which reaches the
 * host as `response\0code_details`. The gateway answered only the dotted single segment, so the
 * plugin got NotFound. Both forms must answer Envoy's values: `via_upstream` after an upstream
 * response, the plugin's details after its local reply, and an upstream-reset detail after a reset
 * (before the response headers: in the 503's response headers; after them: in proxy_on_log).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Cleanup, fixture, ingress, listenServer, send, service, startGateway, wasmPlugin, type TestGateway } from '../helpers/gateway.js';

const hex = (s: string) => `=${Buffer.from(s).toString('hex')}`;
const ASK = { 'x-prop': 'response/code_details', 'x-prop-dotted': 'response.code_details' };

describe('issue 14: response.code_details in both path forms through the gateway', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/reset-before') {
        req.socket.destroy(); // the connection closes under the request: no response head
      } else if (req.url === '/reset-after') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20); // mid-body
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok');
      }
    });
    const up = await listenServer(bag, server);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('route', 'backend'),
      wasmPlugin('echo', fixture('wat/property-echo.wasm')),
    ], { workers: 1 });
  });
  after(() => bag.run());

  test('an upstream response: via_upstream', async () => {
    const r = await send(gw.port, { path: '/ok', headers: ASK });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-prop-value'], hex('via_upstream'));
    assert.equal(r.headers['x-prop-dotted-value'], hex('via_upstream'));
  });

  test("a plugin's local reply: its details", async () => {
    const r = await send(gw.port, { path: '/ok', headers: { ...ASK, 'x-prop-reply': '1' } });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-prop-value'], hex('prop_echo_denied'));
    assert.equal(r.headers['x-prop-dotted-value'], hex('prop_echo_denied'));
  });

  test('an upstream reset before the response headers: the 503 says upstream_reset_before_response_started', async () => {
    const r = await send(gw.port, { path: '/reset-before', headers: ASK });
    assert.equal(r.status, 503);
    const want = hex('upstream_reset_before_response_started{connection_termination}');
    assert.equal(r.headers['x-prop-value'], want);
    assert.equal(r.headers['x-prop-dotted-value'], want);
  });

  test('an upstream reset mid-body: proxy_on_log reads upstream_reset_after_response_started', async () => {
    const from = gw.logs.length;
    await assert.rejects(send(gw.port, { path: '/reset-after', headers: { ...ASK, 'x-prop-phase': 'log' } }));
    const want = hex('upstream_reset_after_response_started{remote_reset}');
    for (let i = 0; i < 100 && !gw.logs.slice(from).some((l) => l.includes('x-prop-dotted-value: ')); i++) {
      await gw.gateway.settle();
      await new Promise((r) => setTimeout(r, 20));
    }
    const lines = gw.logs.slice(from);
    assert.ok(lines.some((l) => l.includes(`x-prop-value: ${want}`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`x-prop-dotted-value: ${want}`)), lines.join('\n'));
  });
});
