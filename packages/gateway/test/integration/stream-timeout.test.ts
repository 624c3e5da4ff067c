/**
 * A request a plugin holds and nobody resumes must not hang the client: after upstreamTimeoutMs
 * without progress the gateway answers 504 WG_PROXY_STREAM_TIMEOUT (ABI reference checklist #16).
 * Here kitchen-sink body-upper buffers the body until end of stream, and the client stops sending
 * halfway; a live but slow upload, by contrast, is not cut off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Cleanup, KITCHEN_SINK, gatewaySpec, ingress, service, startGateway, startUpstream, wasmPlugin, type TestGateway } from '../helpers/gateway.js';

const TIMEOUT_MS = 300;

function rawRequest(port: number, head: string, chunks: { data: string; delayMs: number }[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    const timers: NodeJS.Timeout[] = [];
    sock.on('data', (d) => { out += d.toString(); });
    sock.on('close', () => { timers.forEach(clearTimeout); resolve(out); });
    sock.on('error', reject);
    sock.write(head);
    let at = 0;
    for (const c of chunks) {
      at += c.delayMs;
      timers.push(setTimeout(() => sock.write(c.data), at));
    }
    // Bound the test: whatever happened, close after 5 s.
    timers.push(setTimeout(() => sock.destroy(), 5000));
  });
}

describe('stream timeout for paused requests', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  before(async () => {
    const up = await startUpstream(bag);
    gw = await startGateway(bag, [
      gatewaySpec({ upstreamTimeoutMs: TIMEOUT_MS }),
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('all', 'backend'),
      wasmPlugin('ks', KITCHEN_SINK),
    ]);
  });
  after(() => bag.run());

  const head = (len: number) =>
    `POST /upper HTTP/1.1\r\nhost: t\r\nx-fixture-mode: body-upper\r\ncontent-length: ${len}\r\nconnection: close\r\n\r\n`;

  test('a body the client never finishes: 504 WG_PROXY_STREAM_TIMEOUT instead of a hung client', async () => {
    const started = Date.now();
    const reply = await rawRequest(gw.port, head(20), [{ data: 'hello', delayMs: 10 }]);
    assert.match(reply, /^HTTP\/1\.1 504 /);
    assert.match(reply, /x-wasmgate-error: WG_PROXY_STREAM_TIMEOUT/i);
    assert.ok(Date.now() - started < 4000, 'answered well before the test bound');
  });

  test('a slow but live upload that takes longer than the timeout in total still succeeds', async () => {
    const chunks = Array.from({ length: 6 }, () => ({ data: 'abcd', delayMs: TIMEOUT_MS / 2 }));
    const reply = await rawRequest(gw.port, head(24), chunks);
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });
});
