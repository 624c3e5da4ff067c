/**
 * Issue 9, item 3 (TLS termination) and item 4 over TLS (HTTP/2 by ALPN): Ingress spec.tls with
 * kubernetes.io/tls Secrets on the Gateway's listenTls listener. SNI picks the certificate (exact,
 * wildcard, default); a reload with a new Secret serves the new certificate on new connections;
 * ssl-redirect answers 308 on the plain listener; auth-tls-secret refuses clients without a
 * certificate from its CA; curl --http2 goes through a plugin (fixtures/go/kitchen-sink) that
 * rewrites the request body and reads properties. Certificates are made with openssl at test time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import {
  Cleanup, KITCHEN_SINK, fixture, gatewaySpec, send, service, startGateway, startUpstream, wasmPlugin, writeConfig, type Manifest, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const run = promisify(execFile);
const ECHO = fixture('wat/property-echo.wasm');
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-tls-'));
const file = (n: string) => join(dir, n);

/** A self-signed (or CA-signed) EC certificate for `cn` with DNS SANs; returns [cert, key] PEM. */
function makeCert(name: string, cn: string, sans: string[], ca?: string): [string, string] {
  const key = file(`${name}.key`);
  const crt = file(`${name}.crt`);
  const ext = file(`${name}.ext`);
  writeFileSync(ext, `subjectAltName=${sans.join(',')}\n`);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  if (!ca) {
    execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '2', '-out', crt, '-addext', `subjectAltName=${sans.join(',')}`]);
  } else {
    const csr = file(`${name}.csr`);
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', csr]);
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-CAcreateserial', '-days', '2', '-out', crt, '-extfile', ext], { stdio: 'pipe' });
  }
  return [readFileSync(crt, 'utf8'), readFileSync(key, 'utf8')];
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tlsSecret(name: string, [crt, key]: [string, string], plain = false): Manifest {
  return {
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'kubernetes.io/tls',
    ...(plain ? { stringData: { 'tls.crt': crt, 'tls.key': key } } : { data: { 'tls.crt': b64(crt), 'tls.key': b64(key) } }),
  };
}

function tlsIngress(name: string, host: string, secretName: string, annotations: Record<string, string> = {}): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations },
    spec: {
      tls: [{ hosts: [host], secretName }],
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'up', port: { number: 80 } } } }] } }],
    },
  };
}

/** The subject CN of the certificate the TLS listener serves for `servername` (none: no SNI). */
function servedCn(port: number, servername?: string, client?: { cert: string; key: string }): Promise<{ cn: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}), ...(client ?? {}) }, () => {
      resolve({ cn: String(socket.getPeerCertificate().subject.CN), socket });
    });
    socket.on('error', reject);
  });
}

const certs: Record<string, [string, string]> = {};
const bag = new Cleanup();
let upstream: Upstream;

before(async () => {
  certs.a = makeCert('a', 'a.test', ['DNS:a.test']);
  certs.wild = makeCert('wild', 'wild.test', ['DNS:*.wild.test']);
  certs.a2 = makeCert('a2', 'a.test second', ['DNS:a.test']);
  certs.ca = makeCert('ca', 'test client CA', ['DNS:ca.test']);
  certs.client = makeCert('client', 'client one', ['URI:spiffe://test/client'], 'ca');
  certs.other = makeCert('other', 'stranger', ['DNS:other.test']);
  upstream = await startUpstream(bag, (seen, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`upstream saw ${seen.body.toString()}`);
  });
});
after(async () => {
  await bag.run();
  rmSync(dir, { recursive: true, force: true });
});

function baseDocs(): Manifest[] {
  return [
    gatewaySpec({ listenTls: '127.0.0.1:0' }),
    service('up', [`127.0.0.1:${upstream.port}`]),
    tlsSecret('a-cert', certs.a!),
    tlsSecret('wild-cert', certs.wild!, true),
    tlsIngress('a', 'a.test', 'a-cert', { 'higress.io/ssl-redirect': 'true' }),
    tlsIngress('wild', '*.wild.test', 'wild-cert'),
  ];
}

describe('issue 9: TLS listener with SNI', () => {
  let gw: TestGateway;
  let tlsPort: number;
  before(async () => {
    gw = await startGateway(bag, [...baseDocs(), wasmPlugin('ks', KITCHEN_SINK)]);
    tlsPort = gw.gateway.tlsAddress!.port;
  });

  test('SNI picks the exact and the wildcard certificate; no SNI or an unknown name gets the first (default)', async () => {
    for (const [name, cn] of [['a.test', 'a.test'], ['x.wild.test', 'wild.test'], [undefined, 'a.test'], ['nobody.example', 'a.test']] as const) {
      const { cn: got, socket } = await servedCn(tlsPort, name);
      socket.destroy();
      assert.equal(got, cn, `servername ${name ?? '(none)'}`);
    }
  });

  test('HTTPS HTTP/1.1 reaches the upstream; the plain listener answers ssl-redirect with 308', async () => {
    const { stdout } = await run('curl', ['-sk', '--http1.1', '--resolve', `a.test:${tlsPort}:127.0.0.1`, `https://a.test:${tlsPort}/p?q=1`, '-w', '\n%{http_version}']);
    assert.equal(stdout, 'upstream saw \n1.1');
    const r = await send(gw.port, { path: '/p?q=1', headers: { host: 'a.test' } });
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://a.test:${tlsPort}/p?q=1`);
    // Without the annotation: no redirect.
    const w = await send(gw.port, { path: '/', headers: { host: 'x.wild.test' } });
    assert.equal(w.status, 200);
  });

  test('curl --http2 over TLS (ALPN h2) through a plugin that rewrites the body and reads properties', async () => {
    const { stdout } = await run('curl', [
      '-sk', '--http2', '--resolve', `x.wild.test:${tlsPort}:127.0.0.1`, `https://x.wild.test:${tlsPort}/h2`,
      '-H', 'x-fixture-mode: body-upper', '--data-binary', 'hello world', '-w', '\n%{http_version}',
    ]);
    assert.equal(stdout, 'upstream saw HELLO WORLD\n2');
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.headers.host, 'x.wild.test:' + tlsPort);
  });
});

describe('issue 9: certificates, plugins and mTLS', () => {
  test('a reload with a new Secret serves the new certificate on new connections, on the same listener', async (t) => {
    const docs = baseDocs();
    const dirPath = writeConfig(t, docs);
    const gw = await startGateway(t, { paths: [dirPath] });
    const port = gw.gateway.tlsAddress!.port;
    const first = await servedCn(port, 'a.test');
    assert.equal(first.cn, 'a.test');
    writeFileSync(join(dirPath, '02.yaml'), JSON.stringify(tlsSecret('a-cert', certs.a2!)));
    const outcome = await gw.gateway.reload('test');
    assert.equal(outcome.ok, true, JSON.stringify(outcome.errors));
    const second = await servedCn(port, 'a.test');
    assert.equal(second.cn, 'a.test second');
    // The connection made before the reload still works.
    assert.equal(first.socket.destroyed, false);
    first.socket.destroy();
    second.socket.destroy();
  });

  test('two workers both bind the TLS listener (SO_REUSEPORT) and serve HTTPS and HTTP/2', async (t) => {
    const gw = await startGateway(t, baseDocs(), { workers: 2 });
    const port = gw.gateway.tlsAddress!.port;
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => run('curl', [
      '-sk', ...(i % 2 ? ['--http2'] : ['--http1.1']), '--resolve', `a.test:${port}:127.0.0.1`, `https://a.test:${port}/w${i}`, '-w', '\n%{http_version}',
    ]).then((r) => r.stdout)));
    assert.deepEqual(replies, ['1.1', '2', '1.1', '2', '1.1', '2'].map((v) => `upstream saw \n${v}`));
  });

  test('HTTP/2 with the kitchen-sink plugin: request headers added, response body appended', async (t) => {
    const gw = await startGateway(t, [...baseDocs(), wasmPlugin('ks', KITCHEN_SINK)]);
    const port = gw.gateway.tlsAddress!.port;
    const client = http2.connect(`https://127.0.0.1:${port}`, { servername: 'a.test', rejectUnauthorized: false });
    t.after(() => client.close());
    const reply = await new Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
      const req = client.request({ ':method': 'GET', ':path': '/props', ':authority': 'a.test', 'x-fixture-mode': 'properties' });
      let body = '';
      let headers: http2.IncomingHttpHeaders = {};
      req.setEncoding('utf8');
      req.on('response', (h) => { headers = h; });
      req.on('data', (c: string) => { body += c; });
      req.on('end', () => resolve({ status: Number(headers[':status']), body, headers }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-prop-request-host'], 'a.test');
    assert.equal(reply.headers['x-prop-request-path'], '/props');
    assert.equal(reply.headers['x-prop-route-name'], 'default/a');
    assert.equal(reply.body, 'upstream saw ');
    const { stdout } = await run('curl', [
      '-sk', '--http2', '--resolve', `a.test:${port}:127.0.0.1`, `https://a.test:${port}/x`, '-H', 'x-fixture-mode: resp-body-append', '-w', '\n%{http_version}',
    ]);
    assert.equal(stdout, 'upstream saw \n-- via kitchen-sink\n2');
  });

  test('auth-tls-secret: a client certificate from the CA is accepted, none or a stranger\'s is refused', async (t) => {
    const caSecret: Manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'client-ca', namespace: 'default' }, type: 'Opaque', data: { 'ca.crt': b64(certs.ca![0]) } };
    const gw = await startGateway(t, [
      ...baseDocs().slice(0, 4), caSecret,
      tlsIngress('a', 'a.test', 'a-cert', { 'nginx.ingress.kubernetes.io/auth-tls-secret': 'default/client-ca' }),
      tlsIngress('wild', '*.wild.test', 'wild-cert'),
    ]);
    const port = gw.gateway.tlsAddress!.port;
    const curl = (host: string, extra: string[]) => run('curl', ['-sk', '--resolve', `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`, ...extra])
      .then((r) => r.stdout, (e: { code?: number }) => `curl exit ${e.code}`);
    assert.equal(await curl('a.test', ['--cert', file('client.crt'), '--key', file('client.key')]), 'upstream saw ');
    assert.match(await curl('a.test', []), /^curl exit/);
    assert.match(await curl('a.test', ['--cert', file('other.crt'), '--key', file('other.key')]), /^curl exit/);
    // Another host on the same listener asks nothing of the client.
    assert.equal(await curl('x.wild.test', []), 'upstream saw ');
  });

  test('connection.* properties report the TLS connection (fixtures/wat/property-echo.wasm); NotFound on plain text', async (t) => {
    const caSecret: Manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'client-ca', namespace: 'default' }, type: 'Opaque', stringData: { 'ca.crt': certs.ca![0] } };
    const gw = await startGateway(t, [
      ...baseDocs().slice(0, 4), caSecret, wasmPlugin('echo', ECHO),
      tlsIngress('a', 'a.test', 'a-cert', { 'higress.io/auth-tls-secret': 'client-ca' }),
      tlsIngress('wild', '*.wild.test', 'wild-cert'),
    ]);
    const port = gw.gateway.tlsAddress!.port;
    /** One property read over HTTPS (curl, optionally HTTP/2 and with the client certificate): the decoded value or `!status`. */
    const prop = async (host: string, path: string, extra: string[] = []): Promise<string> => {
      const { stdout } = await run('curl', [
        '-sk', '-o', '/dev/null', '-D', '-', '--resolve', `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`, '-H', `x-prop-dotted: ${path}`, ...extra,
      ]);
      const v = /^x-prop-dotted-value: (.*)\r?$/mi.exec(stdout)?.[1]?.trim();
      assert.ok(v !== undefined, `${path}: no x-prop-dotted-value in ${stdout}`);
      return v.startsWith('=') ? Buffer.from(v.slice(1), 'hex').toString('latin1') : v;
    };
    const withCert = ['--cert', file('client.crt'), '--key', file('client.key')];
    assert.equal(await prop('a.test', 'connection.requested_server_name', withCert), 'a.test');
    assert.match(await prop('a.test', 'connection.tls_version', withCert), /^TLSv1\.[23]$/);
    assert.equal(await prop('a.test', 'connection.mtls', withCert), '\x01');
    assert.equal(await prop('a.test', 'connection.subject_peer_certificate', withCert), 'CN=client one');
    assert.equal(await prop('a.test', 'connection.uri_san_peer_certificate', withCert), 'spiffe://test/client');
    assert.equal(await prop('a.test', 'connection.subject_local_certificate', withCert), 'CN=a.test');
    assert.equal(await prop('a.test', 'connection.dns_san_local_certificate', withCert), 'a.test');
    assert.match(await prop('a.test', 'connection.sha256_peer_certificate_digest', withCert), /^[0-9a-f]{64}$/);
    assert.equal(await prop('a.test', 'request.scheme', withCert), 'https');
    assert.equal(await prop('a.test', 'request.protocol', [...withCert, '--http2']), 'HTTP/2');
    assert.equal(await prop('a.test', 'request.protocol', [...withCert, '--http1.1']), 'HTTP/1.1');
    // TLS without a client certificate: mtls false, the peer's certificate attributes NotFound.
    assert.equal(await prop('x.wild.test', 'connection.mtls'), '\x00');
    assert.equal(await prop('x.wild.test', 'connection.subject_peer_certificate'), '!1');
    assert.equal(await prop('x.wild.test', 'connection.requested_server_name'), 'x.wild.test');
    // Plain text: no TLS attributes.
    const plain = await send(gw.port, { headers: { host: 'x.wild.test', 'x-prop-dotted': 'connection.tls_version' } });
    assert.equal(plain.headers['x-prop-dotted-value'], '!1');
  });
});
