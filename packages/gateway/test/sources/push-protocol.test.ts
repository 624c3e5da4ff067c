// The upload protocol as a registry sees it, against a fake that answers with a *relative*
// Location (a path without scheme and host) carrying its own query; docker-registry sends absolute URLs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildPluginImage, pushPlugin } from '../../src/plugins/sources/index.js';
import { serve, type TestServer } from './support/http-server.js';
import { labelledWasm } from './support/wasm.js';

describe('push protocol', () => {
  const wasm = labelledWasm('push-protocol');
  const image = buildPluginImage(wasm, { readme: '# r' });
  const stored = new Map<string, Buffer>();
  const log: string[] = [];
  let manifestType = '';
  let server: TestServer;

  before(async () => {
    // The config blob is "already there": the client must skip it after HEAD.
    const config = image.blobs[0];
    assert.ok(config);
    stored.set(config.digest, Buffer.from(config.bytes));
    server = await serve((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://x');
        log.push(`${req.method} ${url.pathname}${url.search}`);
        const blob = /^\/v2\/p\/q\/blobs\/(sha256:[a-f0-9]+)$/.exec(url.pathname);
        if (req.method === 'HEAD' && blob) return res.writeHead(stored.has(blob[1] ?? '') ? 200 : 404).end();
        if (req.method === 'POST' && url.pathname === '/v2/p/q/blobs/uploads/') {
          return res.writeHead(202, { location: '/v2/p/q/blobs/uploads/session-1?_state=opaque' }).end();
        }
        if (req.method === 'PUT' && url.pathname === '/v2/p/q/blobs/uploads/session-1') {
          assert.equal(url.searchParams.get('_state'), 'opaque');
          stored.set(url.searchParams.get('digest') ?? '', body);
          return res.writeHead(201).end();
        }
        if (req.method === 'PUT' && url.pathname === '/v2/p/q/manifests/v1') {
          manifestType = req.headers['content-type'] ?? '';
          stored.set('manifest', body);
          return res.writeHead(201, { 'docker-content-digest': image.manifestDigest }).end();
        }
        res.writeHead(400).end();
      })();
    });
  });
  after(async () => { await server?.close(); });

  test('HEAD skips existing blobs; POST + PUT to a relative Location keeps its query and adds ?digest=', async () => {
    const result = await pushPlugin(wasm, `${server.host}/p/q:v1`, { insecure: true, readme: '# r' });
    assert.equal(result.digest, image.manifestDigest);
    const [config, readme, tarball] = image.blobs;
    assert.ok(config && readme && tarball);
    assert.deepEqual(log, [
      `HEAD /v2/p/q/blobs/${config.digest}`,
      `HEAD /v2/p/q/blobs/${readme.digest}`,
      'POST /v2/p/q/blobs/uploads/',
      `PUT /v2/p/q/blobs/uploads/session-1?_state=opaque&digest=${encodeURIComponent(readme.digest)}`,
      `HEAD /v2/p/q/blobs/${tarball.digest}`,
      'POST /v2/p/q/blobs/uploads/',
      `PUT /v2/p/q/blobs/uploads/session-1?_state=opaque&digest=${encodeURIComponent(tarball.digest)}`,
      'PUT /v2/p/q/manifests/v1',
    ]);
    assert.deepEqual(new Uint8Array(stored.get(tarball.digest) ?? []), tarball.bytes);
    assert.equal(manifestType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(new Uint8Array(stored.get('manifest') ?? []), image.manifest);
  });
});
