/**
 * The seed walkthrough twice, side by side through real listeners: examples/mock-response (the Go
 * plugin) and examples/as/mock-response (the same plugin written in AssemblyScript with
 * @wasmgate/sdk, built here from its source). Every curl of the walkthrough's README must get the
 * same answer, byte for byte, from both, and both plugins must log the same rule decisions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cleanup, REPO_ROOT, linesWith, send, startGateway, type Reply, type TestGateway } from '../helpers/gateway.js';

/** The part of `@wasmgate/sdk/build` this test uses (imported at run time: the gateway does not depend on the SDK). */
interface SdkBuild {
  buildAssemblyScript(o: { entry: string; outFile?: string }): Promise<{ ok: boolean; diagnostics: string }>;
}

const SDK_EXAMPLE = join(REPO_ROOT, 'examples', 'as', 'mock-response');

/** A copy of the SDK example's manifests next to a fresh build of its source, as `wasmgate build` would leave it. */
async function builtSdkExample(bag: Cleanup): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-sdk-mock-'));
  bag.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'build'));
  const sdk = (await import('@wasmgate/sdk/build' as string)) as SdkBuild;
  const r = await sdk.buildAssemblyScript({ entry: join(SDK_EXAMPLE, 'assembly', 'index.ts'), outFile: join(dir, 'build', 'plugin.wasm') });
  assert.ok(r.ok, `examples/as/mock-response does not build:\n${r.diagnostics}`);
  copyFileSync(join(SDK_EXAMPLE, 'gateway.yaml'), join(dir, 'gateway.yaml'));
  return dir;
}

describe('examples/as/mock-response (AssemblyScript SDK) answers the walkthrough exactly as the Go plugin', () => {
  const bag = new Cleanup();
  let go: TestGateway;
  let as: TestGateway;
  before(async () => {
    go = await startGateway(bag, { paths: [join(REPO_ROOT, 'examples', 'mock-response')] });
    as = await startGateway(bag, { paths: [await builtSdkExample(bag)] });
  });
  after(() => bag.run());

  // Every curl of examples/mock-response/README.md (and the root README's), as [path, Host, body].
  const curls: [string, string | undefined, string][] = [
    ['/foo', undefined, 'hello foo'],
    ['/bar', undefined, 'hello bar'],
    ['/something-else', undefined, 'hello higress'],
    ['/anything', undefined, 'hello higress'],
    ['/', 'a.example.com:8080', 'hello world'],
    ['/', 'a.example.com', 'hello world'],
    ['/foo', 'www.test.com', 'hello foo'],
    ['/', 'www.test.com', 'hello world'],
    ['/', 'WWW.Test.com', 'hello world'],
    ['/', 'example.com', 'hello higress'],
    ['/foo/bar?x=1', 'a.example.com', 'hello foo'],
  ];
  const comparable = (r: Reply) => ({
    status: r.status, body: r.body, type: r.headers['content-type'], length: r.headers['content-length'],
  });

  for (const [path, host, body] of curls) {
    test(`curl ${host ? `-H 'Host: ${host}' ` : ''}${path} → ${body}`, async () => {
      const headers = host ? { host } : {};
      const [fromGo, fromAs] = await Promise.all([send(go.port, { path, headers }), send(as.port, { path, headers })]);
      assert.deepEqual(comparable(fromGo), { status: 200, body, type: 'text/plain', length: String(body.length) });
      assert.deepEqual(comparable(fromAs), comparable(fromGo));
    });
  }

  test('a POST with a body is answered locally by both', async () => {
    const opts = { method: 'POST', path: '/bar', headers: { host: 'x.test' }, body: 'ignored body' };
    const [fromGo, fromAs] = await Promise.all([send(go.port, opts), send(as.port, opts)]);
    assert.deepEqual(comparable(fromAs), comparable(fromGo));
    assert.equal(fromAs.body, 'hello bar');
  });

  test('both plugins log the same rule decisions', async () => {
    for (const gw of [go, as]) {
      await send(gw.port, { path: '/foo', headers: { host: 'x.test' } });
      await send(gw.port, { path: '/z', headers: { host: 'a.example.com:8080' } });
      await send(gw.port, { path: '/z', headers: { host: 'plain.test' } });
      await gw.gateway.settle();
    }
    for (const line of [
      'mock-response: rule 0 matched route "default/foo"',
      'mock-response: rule 2 matched domain "*.example.com" (host "a.example.com")',
      'mock-response: no rule matched; global content',
    ]) {
      assert.ok(linesWith(go.logs, line).length > 0, `Go plugin did not log ${line}:\n${go.logs.join('\n')}`);
      assert.ok(linesWith(as.logs, line).length > 0, `SDK plugin did not log ${line}:\n${as.logs.join('\n')}`);
    }
  });
});
