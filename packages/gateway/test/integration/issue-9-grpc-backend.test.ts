/**
 * Issue 9 item 5: an Ingress with `higress.io/backend-protocol: GRPC` reaches its backend over
 * HTTP/2 cleartext (prior knowledge), and grpc-status / grpc-message trailers come back to the
 * client. The client is @grpc/grpc-js over TLS (the listenTls listener, HTTP/2 by ALPN), the backend
 * an @grpc/grpc-js server, and a plugin (fixtures/go/kitchen-sink, `properties` mode) in the chain
 * adds response headers, which the client sees as response metadata. Certificates are made with
 * openssl at test time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort } from '../helpers/daemon.js';
import { Cleanup, KITCHEN_SINK, gatewaySpec, service, startGateway, wasmPlugin, type Manifest, type TestGateway } from '../helpers/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-grpc-'));
const id = (b: Buffer) => b;

function selfSigned(cn: string): [string, string] {
  const key = join(dir, 'k.pem');
  const crt = join(dir, 'c.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '2', '-out', crt, '-addext', `subjectAltName=DNS:${cn}`]);
  return [readFileSync(crt, 'utf8'), readFileSync(key, 'utf8')];
}

const ECHO: grpc.ServiceDefinition = {
  Unary: { path: '/echo.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
  Fail: { path: '/echo.Echo/Fail', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
  Count: { path: '/echo.Echo/Count', requestStream: false, responseStream: true, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
};

describe('issue 9: backend-protocol GRPC through the gateway', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let client: grpc.Client;
  const seen: grpc.Metadata[] = [];
  before(async () => {
    const server = new grpc.Server();
    server.addService(ECHO, {
      Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seen.push(call.metadata);
        const t = new grpc.Metadata();
        t.set('x-trailer', 'from-server');
        cb(null, Buffer.concat([call.request, Buffer.from('!')]), t);
      },
      Fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb({ code: grpc.status.PERMISSION_DENIED, details: 'not you' }),
      Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const n = call.request[0] ?? 0;
        for (let i = 1; i <= n; i++) call.write(Buffer.from([i]));
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    bag.after(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    const [crt, key] = selfSigned('grpc.test');
    const dead = await freePort();
    const docs: Manifest[] = [
      gatewaySpec({ listenTls: '127.0.0.1:0' }),
      service('echo', [`127.0.0.1:${port}`]),
      service('dead', [`127.0.0.1:${dead}`]),
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'dead', namespace: 'default', annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'grpc' } },
        spec: { rules: [{ host: 'grpc.test', http: { paths: [{ path: '/dead.Dead/', pathType: 'Prefix', backend: { service: { name: 'dead', port: { number: 80 } } } }] } }] },
      },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grpc-cert', namespace: 'default' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': crt, 'tls.key': key } },
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'grpc', namespace: 'default', annotations: { 'higress.io/backend-protocol': 'GRPC' } },
        spec: {
          tls: [{ hosts: ['grpc.test'], secretName: 'grpc-cert' }],
          rules: [{ host: 'grpc.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } }] } }],
        },
      },
      wasmPlugin('ks', KITCHEN_SINK),
    ];
    gw = await startGateway(bag, docs);
    client = new grpc.Client(`127.0.0.1:${gw.gateway.tlsAddress!.port}`, grpc.credentials.createSsl(Buffer.from(crt)), {
      'grpc.ssl_target_name_override': 'grpc.test', 'grpc.default_authority': 'grpc.test',
    });
    bag.after(() => client.close());
  });
  after(async () => {
    await bag.run();
    rmSync(dir, { recursive: true, force: true });
  });

  const md = () => {
    const m = new grpc.Metadata();
    m.set('x-fixture-mode', 'properties');
    m.set('x-client', 'grpc-js');
    return m;
  };

  test('unary: the reply, the server trailers, and response headers the plugin added', async () => {
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client.makeUnaryRequest('/echo.Echo/Unary', id, id, Buffer.from('hi'), md(), (e, r) => (e ? reject(e) : resolve(r!)));
      call.on('metadata', (m) => (headers = m));
      call.on('status', (s) => (trailers = s.metadata));
    });
    assert.equal(reply.toString(), 'hi!');
    assert.deepEqual(headers?.get('x-prop-request-path'), ['/echo.Echo/Unary'], 'the plugin saw the request and set a response header');
    assert.deepEqual(headers?.get('x-prop-request-method'), ['POST']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(trailers?.get('x-trailer'), ['from-server']);
    assert.deepEqual(seen.at(-1)!.get('x-client'), ['grpc-js']);
  });

  test('an error status: grpc-status and grpc-message reach the client', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest('/echo.Echo/Fail', id, id, Buffer.from('x'), md(), (e) => resolve(e!));
    });
    assert.equal(err.code, grpc.status.PERMISSION_DENIED, err.details);
    assert.equal(err.details, 'not you');
  });

  test('server streaming: every message, then OK', async () => {
    const got: number[] = [];
    const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
      const call = client.makeServerStreamRequest('/echo.Echo/Count', id, id, Buffer.from([3]), md());
      call.on('data', (b: Buffer) => got.push(b[0]!));
      call.on('status', resolve);
      call.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.OK ? undefined : reject(e)));
    });
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(got, [1, 2, 3]);
  });

  test('a backend that refuses the connection: 503 from the gateway, UNAVAILABLE (14) at the client', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest('/dead.Dead/Call', id, id, Buffer.from('x'), md(), (e) => resolve(e!));
    });
    assert.equal(err.code, grpc.status.UNAVAILABLE, err.details);
    for (let i = 0; i < 50 && !gw.access.some((a) => a.path === '/dead.Dead/Call'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(gw.access.find((a) => a.path === '/dead.Dead/Call')?.status, 503);
  });
});
