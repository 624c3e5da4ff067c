/**
 * Issue 9 item 5: Proxy-Wasm gRPC callouts through the gateway against a real @grpc/grpc-js server.
 * The WAT grpc-callout fixture calls cluster "grpc" (a Service alias) from proxy_on_request_headers
 * and resumes the request with headers carrying the answer, which the upstream records.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { freePort } from '../helpers/daemon.js';
import { Cleanup, fixture, ingress, send, service, startGateway, startUpstream, wasmPlugin, type TestGateway, type Upstream } from '../helpers/gateway.js';

const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const ECHO: grpc.ServiceDefinition = {
  Unary: { path: '/echo.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize },
  Stream: { path: '/echo.Echo/Stream', requestStream: true, responseStream: true, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize },
};

async function startGrpcServer(bag: Cleanup, mode: { fail: boolean; delayMs: number }, seen: grpc.Metadata[]): Promise<number> {
  const server = new grpc.Server();
  server.addService(ECHO, {
    Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      seen.push(call.metadata);
      if (mode.fail) return cb({ code: grpc.status.NOT_FOUND, details: 'no such echo' });
      setTimeout(() => cb(null, Buffer.concat([call.request, Buffer.from('!')])), mode.delayMs);
    },
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      seen.push(call.metadata);
      const md = new grpc.Metadata();
      md.set('x-md', 'first');
      call.sendMetadata(md);
      call.on('data', (m: Buffer) => {
        call.write(m);
        call.write(Buffer.from([0xff]));
      });
      call.on('end', () => {
        const t = new grpc.Metadata();
        t.set('x-trailer', 'last');
        call.end(t);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  bag.after(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return port;
}

describe('issue 9: gRPC callouts from a plugin to a real gRPC server', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  const mode = { fail: false, delayMs: 0 };
  const seen: grpc.Metadata[] = [];
  before(async () => {
    up = await startUpstream(bag);
    const grpcPort = await startGrpcServer(bag, mode, seen);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('echo', [`127.0.0.1:${grpcPort}`], { aliases: ['grpc'] }),
      ingress('ok', 'backend', { host: 'ok.test' }),
      wasmPlugin('grpc-callout', fixture('wat/grpc-callout.wasm'), { wasmgate: { scope: { routes: ['default/ok'] } } }),
    ]);
  });
  after(() => bag.run());

  test('unary: the plugin gets the reply message (buffer 5) and status 0; the server sees the metadata', async () => {
    const r = await send(gw.port, { path: '/u', headers: { host: 'ok.test' } });
    assert.equal(r.status, 200, r.body);
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-grpc-len'], '5');
    assert.equal(h['x-grpc-hex'], '0a02686921');
    assert.equal(h['x-grpc-status'], '0');
    assert.equal(h['x-grpc-result'], undefined);
    assert.deepEqual(seen.at(-1)!.get('x-from'), ['plugin']);
  });

  test('unary failure: proxy_on_grpc_close with grpc-status and grpc-message', async () => {
    mode.fail = true;
    try {
      const r = await send(gw.port, { path: '/f', headers: { host: 'ok.test' } });
      assert.equal(r.status, 200, r.body);
      const h = up.requests.at(-1)!.headers;
      assert.equal(h['x-grpc-status'], '5');
      assert.equal(h['x-grpc-message'], 'no such echo');
      assert.equal(h['x-grpc-len'], undefined);
    } finally {
      mode.fail = false;
    }
  });

  test('unary timeout (1000 ms in the fixture): DEADLINE_EXCEEDED (4)', async () => {
    mode.delayMs = 1500;
    try {
      const r = await send(gw.port, { path: '/t', headers: { host: 'ok.test' } });
      assert.equal(r.status, 200, r.body);
      assert.equal(up.requests.at(-1)!.headers['x-grpc-status'], '4');
    } finally {
      mode.delayMs = 0;
    }
  });

  test('stream: initial metadata, each message, trailing metadata, close', async () => {
    const r = await send(gw.port, { path: '/s', headers: { host: 'ok.test', 'x-grpc-mode': 'stream' } });
    assert.equal(r.status, 200, r.body);
    const h = up.requests.at(-1)!;
    assert.equal(h.headers['x-grpc-md'], 'first');
    assert.equal(h.headers['x-grpc-hex'], '0a026869, ff');
    assert.equal(h.headers['x-grpc-len'], '4, 1');
    assert.equal(h.headers['x-grpc-trailer'], 'last');
    assert.equal(h.headers['x-grpc-status'], '0');
  });

  test('no connection: the plugin gets proxy_on_grpc_close(14 UNAVAILABLE)', async () => {
    const dead = await freePort();
    const gw2 = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('echo', [`127.0.0.1:${dead}`], { aliases: ['grpc'] }),
      ingress('ok', 'backend', { host: 'ok.test' }),
      wasmPlugin('grpc-callout', fixture('wat/grpc-callout.wasm'), { wasmgate: { scope: { routes: ['default/ok'] } } }),
    ]);
    const r = await send(gw2.port, { path: '/d', headers: { host: 'ok.test' } });
    assert.equal(r.status, 200, r.body);
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-grpc-status'], '14');
    assert.match(String(h['x-grpc-message']), /upstream connect error/);
  });
});
