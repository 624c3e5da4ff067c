/**
 * Issue 13, item 1: the order the chain calls the exchange's sink in, checked on every exchange
 * path (as undici asserts its handler lifecycle): headers once and first on each side, data and
 * trailers only after them and never after that side's end, nothing after a reset. The exchanges
 * run in this thread (startInThreadPlane) with the test-only order check on; every request below
 * takes a different path through exchange.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { HeaderMap, type StreamSink } from '@wasmgate/host';
import { enableSinkOrderCheck, orderChecked, sinkOrderStreams, sinkOrderViolations } from '../../src/proxy/sink-order.js';
import { startInThreadPlane } from '../helpers/in-thread-plane.js';
import { Cleanup, KITCHEN_SINK, ingress, listenServer, send, service, startUpstream, wasmPlugin, writeConfig } from '../helpers/gateway.js';

test('orderChecked reports each kind of out-of-order call and passes a well-ordered stream', () => {
  const calls: string[] = [];
  const inner: StreamSink = {
    requestHeaders: () => calls.push('rqh'), requestData: () => calls.push('rqd'), requestTrailers: () => calls.push('rqt'),
    responseHeaders: () => calls.push('rsh'), responseData: () => calls.push('rsd'), responseTrailers: () => calls.push('rst'),
    abortUpstream: () => calls.push('abort'), reset: () => calls.push('reset'),
  };
  const h = new HeaderMap();
  const start = sinkOrderViolations.length;
  const good = orderChecked(inner);
  good.requestHeaders(h, false); good.requestData(new Uint8Array(1), false); good.requestTrailers(h);
  good.responseHeaders(h, false); good.responseData(new Uint8Array(1), true);
  assert.equal(sinkOrderViolations.length, start, 'a well-ordered stream is not reported');
  assert.deepEqual(calls, ['rqh', 'rqd', 'rqt', 'rsh', 'rsd'], 'every call reaches the wrapped sink');

  const bad = orderChecked(inner);
  bad.responseData(new Uint8Array(1), false); // before the response headers
  bad.responseHeaders(h, false);
  bad.responseHeaders(h, true); // twice
  bad.responseData(new Uint8Array(1), false); // after the end
  bad.requestData(new Uint8Array(1), false); // before the request headers
  bad.reset('x'); // after the response ended
  bad.requestHeaders(h, true); // after the reset
  const got = sinkOrderViolations.splice(start);
  assert.deepEqual(got.map((l) => /violation: ([^(]*)\(/.exec(l)?.[1]?.trim()), [
    'responseData: response data before its headers', 'responseHeaders: response headers twice', 'responseData: response data after its end',
    'requestData: request data before its headers', 'reset', 'requestHeaders after reset',
  ]);
});

describe('the sink order on the real exchange paths', () => {
  const bag = new Cleanup();
  let port = 0;
  before(async () => {
    enableSinkOrderCheck();
    const up = await startUpstream(bag, (seen, res) => {
      if (seen.url === '/empty') return void res.writeHead(204).end();
      if (seen.url === '/trailers') {
        res.writeHead(200, { trailer: 'x-t' });
        res.write('with trailers');
        res.addTrailers({ 'x-t': 'v' });
        return void res.end();
      }
      if (seen.url === '/reset') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return void setTimeout(() => res.socket?.destroy(), 20);
      }
      if (seen.url === '/slow') {
        res.writeHead(200);
        res.write('first');
        return void setTimeout(() => res.end('late'), 300);
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`upstream ok ${seen.body.length}`);
    });
    const callout = await listenServer(bag, http.createServer((_req, res) => void setTimeout(() => res.end('hi'), 50)));
    const dead = createNetServer();
    dead.listen(0, '127.0.0.1');
    await new Promise((r) => dead.once('listening', r));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const ks = (name: string, route: string, calloutCluster?: string) =>
      wasmPlugin(name, KITCHEN_SINK, { ...(calloutCluster ? { defaultConfig: { calloutCluster } } : {}), wasmgate: { scope: { routes: [`default/${route}`] } } });
    const plane = await startInThreadPlane(bag, [writeConfig(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('callout', [`127.0.0.1:${callout.port}`]),
      service('dead', [`127.0.0.1:${deadPort}`]),
      ingress('plain', 'backend', { host: 'plain.test' }),
      ingress('ks', 'backend', { host: 'ks.test' }),
      ingress('gone', 'dead', { host: 'gone.test' }),
      ks('ks-plugin', 'ks', 'outbound|80||callout.default.svc.cluster.local'),
      ks('ks-bare', 'plain'),
    ])]);
    port = plane.port;
  });
  after(async () => {
    enableSinkOrderCheck(false);
    await bag.run();
  });

  const mode = (host: string, m: string) => ({ host, 'x-fixture-mode': m });

  test('every path keeps the order; the answers are the usual ones', async () => {
    const start = sinkOrderViolations.length;
    const streams = sinkOrderStreams;
    // Pass-through: bodiless, with a body, a bodiless answer, HEAD, response trailers.
    assert.equal((await send(port, { headers: { host: 'plain.test' } })).status, 200);
    assert.equal((await send(port, { method: 'POST', headers: { host: 'plain.test' }, body: 'x'.repeat(100_000) })).body, 'upstream ok 100000');
    assert.equal((await send(port, { path: '/empty', headers: { host: 'plain.test' } })).status, 204);
    assert.equal((await send(port, { method: 'HEAD', headers: { host: 'plain.test' } })).status, 200);
    assert.equal((await send(port, { path: '/trailers', headers: { host: 'plain.test' } })).body, 'with trailers');
    // Plugin work: request body rewritten (buffered), response body appended, pause + callout + resume.
    assert.equal((await send(port, { method: 'POST', headers: mode('ks.test', 'body-upper'), body: 'hello' })).status, 200);
    assert.equal((await send(port, { headers: mode('ks.test', 'resp-body-append') })).status, 200);
    assert.equal((await send(port, { method: 'POST', headers: mode('ks.test', 'callout'), body: 'during the pause' })).status, 200);
    // Local replies: a plugin's (before a request body that still arrives), no route, no upstream.
    assert.equal((await send(port, { method: 'POST', headers: mode('plain.test', 'callout'), body: 'y'.repeat(50_000) })).status, 500);
    assert.equal((await send(port, { headers: { host: 'nowhere.test' } })).status, 404);
    assert.equal((await send(port, { headers: { host: 'gone.test' } })).status, 503);
    // Request trailers (chunked upload).
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { host: 'plain.test', 'transfer-encoding': 'chunked', trailer: 'x-rt' }, agent: false }, (res) => {
        res.resume().on('end', resolve);
      });
      req.on('error', reject);
      req.write('chunk');
      req.addTrailers({ 'x-rt': '1' });
      req.end();
    });
    // Resets: the upstream drops the connection mid-body; the client leaves mid-response.
    await assert.rejects(send(port, { path: '/reset', headers: { host: 'plain.test' } }));
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/slow', headers: { host: 'plain.test' }, agent: false }, (res) => {
        res.once('data', () => { req.destroy(); setTimeout(resolve, 400); });
      });
      req.on('error', () => undefined);
    });
    assert.deepEqual(sinkOrderViolations.slice(start), []);
    assert.ok(sinkOrderStreams - streams >= 14, `the check saw ${sinkOrderStreams - streams} exchanges`);
  });
});
