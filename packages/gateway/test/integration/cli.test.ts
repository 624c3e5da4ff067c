/**
 * The real CLI (bin/wasmgate.js) as users run it: `serve` refuses a broken folder with the
 * `validate` report and exit 2, and serves a good one until SIGTERM; `run <plugin.wasm>` puts one
 * plugin in front of the built-in echo backend; `inspect` on every .wasm under fixtures/.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort } from '../helpers/daemon.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { KITCHEN_SINK, REPO_ROOT, fixture, send } from '../helpers/gateway.js';

const BROKEN = 'packages/gateway/test/config/cases/broken';

describe('wasmgate serve', () => {
  test('refuses a folder of broken manifests with the same report as validate, exit 2', async () => {
    const [serve, validate] = await Promise.all([
      runCli(['serve', '--config', BROKEN, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0']),
      runCli(['validate', '--config', BROKEN]),
    ]);
    assert.equal(validate.code, 2);
    assert.equal(serve.code, 2, serve.stderr);
    assert.match(validate.stdout, /^16 errors, 0 warnings in 6 files$/m);
    assert.equal(serve.stderr, validate.stdout, 'serve prints the validate report (on stderr)');
    assert.equal(serve.stdout, '');
  });

  test('serves examples/mock-response, writes the access log to stdout, exits 0 on SIGTERM', async (t) => {
    const port = await freePort();
    const gw = await spawnCli(t, ['serve', '--config', 'examples/mock-response', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`, '--access-log', 'stdout', '--no-watch'], /wasmgate serving on/);
    assert.match(gw.stderr(), new RegExp(`serving on http://127\\.0\\.0\\.1:${port} .*: 3 routes, 1 plugins`));
    const r = await send(port, { path: '/foo' });
    assert.equal(r.body, 'hello foo');
    const exited = once(gw.child, 'exit');
    gw.child.kill('SIGTERM');
    const [code] = await exited as [number | null];
    assert.equal(code, 0, gw.stderr());
    const entry = JSON.parse(gw.stdout().trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(entry.status, 200);
    assert.equal(entry.route, 'default/foo');
  });
});

describe('wasmgate run', () => {
  test('kitchen-sink in front of the built-in echo backend: the answer is the request as JSON', async (t) => {
    const port = await freePort();
    await spawnCli(t, ['run', KITCHEN_SINK, '--listen', `127.0.0.1:${port}`], /wasmgate run: .* on http:\/\/127\.0\.0\.1:\d+ → built-in echo backend/);
    const r = await send(port, { method: 'POST', path: '/echo?x=1', headers: { 'x-fixture-mode': 'body-upper', 'x-one': '1' }, body: 'make me loud' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const echo = JSON.parse(r.body) as { method: string; path: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.path, '/echo?x=1');
    assert.equal(echo.headers['x-one'], '1');
    assert.equal(echo.body, 'MAKE ME LOUD');
    const counted = JSON.parse((await send(port, { headers: { 'x-fixture-mode': 'shared-counter' } })).body) as { headers: Record<string, string> };
    assert.equal(counted.headers['x-counter'], '1');
  });

  test('mock-response with --config JSON answers itself', async (t) => {
    const port = await freePort();
    await spawnCli(t, ['run', fixture('go/mock-response/plugin.wasm'), '--config', '{"content":"hi from run"}', '--listen', `127.0.0.1:${port}`], /wasmgate run:/);
    assert.equal((await send(port, { path: '/anything' })).body, 'hi from run');
  });

  test('a --config that is not JSON is a usage error (exit 2)', async () => {
    const r = await runCli(['run', KITCHEN_SINK, '--config', '{nope', '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error WG_CLI_USAGE: --config is not valid JSON/);
  });
});

/** Every .wasm under fixtures/, relative to the repository root. */
function allFixtures(dir = join(REPO_ROOT, 'fixtures')): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return allFixtures(p);
    return n.endsWith('.wasm') ? [relative(REPO_ROOT, p)] : [];
  });
}

/** Fixtures that are not loadable plugins, and the code inspect must give them. */
const REFUSED: Record<string, string> = {
  'fixtures/wat/no-marker.wasm': 'WG_PLUGIN_ABI_UNKNOWN',
  'fixtures/wat/marker-global.wasm': 'WG_PLUGIN_ABI_UNKNOWN',
  'fixtures/wat/no-allocator.wasm': 'WG_PLUGIN_NO_ALLOCATOR',
  'fixtures/wat/unknown-import.wasm': 'WG_PLUGIN_LINK',
};
const ABI: Record<string, string> = {
  'fixtures/wat/abi-0-1-0.wasm': '0.1.0',
  'fixtures/wat/abi-0-2-100.wasm': '0.2.100',
  'fixtures/wat/two-markers.wasm': '0.2.100',
  'fixtures/wat/buffer-bodies.wasm': '0.2.100',
  'fixtures/wat/tinygo-style.wasm': '0.2.0',
};

describe('wasmgate inspect on every fixture', () => {
  const files = allFixtures();
  test('the fixture list is complete (Go, C, AssemblyScript, WAT)', () => {
    assert.ok(files.length >= 25, files.join('\n'));
    for (const kind of ['fixtures/go/', 'fixtures/c/', 'fixtures/as/', 'fixtures/wat/']) assert.ok(files.some((f) => f.startsWith(kind)), kind);
    for (const f of Object.keys(REFUSED)) assert.ok(files.includes(f), f);
  });

  test('valid plugins exit 0 with their ABI version; refused ones exit 2 with their WG_* code', { timeout: 120_000 }, async () => {
    const results = new Map<string, Awaited<ReturnType<typeof runCli>>>();
    // A few at a time: each is a Node process.
    for (let i = 0; i < files.length; i += 4) {
      const batch = files.slice(i, i + 4);
      const done = await Promise.all(batch.map((f) => runCli(['inspect', f])));
      batch.forEach((f, k) => results.set(f, done[k]!));
    }
    for (const [file, r] of results) {
      const refused = REFUSED[file];
      if (refused) {
        assert.equal(r.code, 2, `${file}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^error ${refused}: `, 'm'), file);
      } else {
        assert.equal(r.code, 0, `${file}: ${r.stderr}`);
        assert.equal(r.stderr, '', file);
        assert.match(r.stdout, new RegExp(`^abi: +${(ABI[file] ?? '0.2.1').replaceAll('.', '\\.')}$`, 'm'), `${file}\n${r.stdout}`);
        assert.match(r.stdout, /^imports: .*, 0 missing\)$/m, file);
      }
    }
    assert.match(results.get('fixtures/wat/unknown-import.wasm')!.stderr, /env\.proxy_does_not_exist, acme_private\.hook/);
    assert.match(results.get('fixtures/go/kitchen-sink/plugin.wasm')!.stdout, /^toolchain: +Go \(wasip1, c-shared\)$/m);
  });

  test('a file that is not Wasm, and a missing file, exit 2 with their codes', async () => {
    const [text, missing] = await Promise.all([runCli(['inspect', 'fixtures/README.md']), runCli(['inspect', 'fixtures/nope.wasm'])]);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /^error WG_PLUGIN_NOT_WASM: /m);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error WG_CLI_FILE: cannot read fixtures\/nope\.wasm/m);
  });

  test('--json gives the same facts as data', async () => {
    const r = await runCli(['inspect', '--json', 'fixtures/as/redis-limit.wasm']);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout) as { abiVersion: string; imports: { module: string; name: string; status: string }[]; exports: { name: string }[] };
    assert.equal(report.abiVersion, '0.2.1');
    const redis = report.imports.filter((i) => i.name.startsWith('proxy_redis_'));
    assert.deepEqual(redis.map((i) => [i.name, i.status]), [['proxy_redis_init', 'implemented'], ['proxy_redis_call', 'implemented']]);
    assert.ok(report.exports.some((e) => e.name === 'proxy_on_redis_call_response'));
  });
});
