/**
 * `wasmgate dev` on the AssemblyScript project `wasmgate init` makes: it answers through the plugin,
 * rebuilds and hot-reloads on save while a request loop keeps running (not one request fails), and a
 * syntax error is printed with file:line:col while the last good build keeps answering. Every wait
 * is on a line dev prints (its rebuild event), never a sleep.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { send } from '../helpers/gateway.js';
import { runCli } from '../helpers/cli.js';
import { initProject, npmInstall, sdkSkip, spawnWasmgate, tempDir } from '../helpers/author.js';

describe('wasmgate dev', { skip: sdkSkip() }, () => {
  test('save → rebuild → served while requests keep flowing; a broken save keeps the last good build', { timeout: 240_000 }, async (t) => {
    const dir = tempDir(t);
    const p = await initProject(dir, 'live');
    await npmInstall(p);
    const dev = spawnWasmgate(t, ['dev', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--debounce', '30'], p);
    const serving = await dev.waitLine(/^dev: serving http:\/\/127\.0\.0\.1:(\d+) \(gateway\.yaml/, { timeoutMs: 120_000 });
    const port = Number(/:(\d+) /.exec(serving.line)![1]);
    const hello = async () => (JSON.parse((await send(port, { path: '/hi', agent: keepAlive })).body) as { headers: Record<string, string> }).headers['x-hello'];
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => keepAlive.destroy());

    assert.equal(await hello(), 'hello from live', 'answer A: the defaultConfig value, through the echo backend');

    // A request loop running across the reload: every request must get a 200 with A or B.
    let stop = false;
    const seen = { ok: 0, failed: [] as string[], values: new Set<string>() };
    const loop = (async () => {
      while (!stop) {
        try {
          const r = await send(port, { path: '/loop', agent: keepAlive });
          if (r.status !== 200) seen.failed.push(`status ${r.status}: ${r.body.slice(0, 200)}`);
          else {
            seen.ok++;
            seen.values.add((JSON.parse(r.body) as { headers: Record<string, string> }).headers['x-hello']!);
          }
        } catch (e) {
          seen.failed.push((e as Error).message);
        }
      }
    })();

    const src = join(p, 'assembly', 'index.ts');
    const original = readFileSync(src, 'utf8');
    const edited = original.replace('ctx.addRequestHeader(config.header, config.value);', 'ctx.addRequestHeader(config.header, config.value + " (edited)");');
    assert.notEqual(edited, original, 'the template has the line the test edits');
    const before = dev.lineCount();
    writeFileSync(src, edited);
    const rebuilt = await dev.waitLine(/^dev: assembly\/index\.ts changed: rebuilt in \d+ ms, serving generation 2 \d+ ms later \(save → served \d+ ms\)$/, { from: before, timeoutMs: 120_000 });
    assert.ok(rebuilt);
    assert.equal(await hello(), 'hello from live (edited)', 'answer B right after the rebuild event');
    stop = true;
    await loop;
    assert.deepEqual(seen.failed, [], 'no request failed during the rebuild and reload');
    assert.ok(seen.ok > 0);
    for (const v of seen.values) assert.ok(v === 'hello from live' || v === 'hello from live (edited)', v);

    // A syntax error: printed with file:line:col, and B keeps answering.
    const mark = dev.lineCount();
    writeFileSync(src, edited.replace('return Action.Continue;', 'return Action.Continue +;'));
    await dev.waitLine(/^dev: assembly\/index\.ts changed: build failed in \d+ ms; generation 2 keeps serving the last good build$/, { from: mark, timeoutMs: 120_000 });
    await dev.waitLine(/^ {2}assembly\/index\.ts:\d+:\d+: error TS1109: Expression expected\.$/, { from: mark });
    assert.equal(await hello(), 'hello from live (edited)');

    // Fixed again: serves the fix as generation 3.
    const fixed = dev.lineCount();
    writeFileSync(src, original);
    await dev.waitLine(/serving generation 3 /, { from: fixed, timeoutMs: 120_000 });
    assert.equal(await hello(), 'hello from live');

    // AssemblyScript is built unoptimised in dev (asc --debug keeps the name section); --release builds
    // as wasmgate build does (-O3, no names); both at once is a usage error.
    const hasNames = () => customSections(readFileSync(join(p, 'build', 'plugin.wasm')), 'name') > 0;
    assert.match(dev.output(), /^dev: built build\/plugin\.wasm in \d+ ms \(\d+ bytes, abi 0\.2\.100, unoptimised: --release for asc -O3\)$/m);
    assert.ok(hasNames(), 'the dev build is unoptimised, with debug names');
    dev.child.kill('SIGTERM');
    await new Promise((r) => (dev.child.exitCode !== null ? r(undefined) : dev.child.once('exit', r)));
    const release = spawnWasmgate(t, ['dev', '--release', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], p);
    await release.waitLine(/^dev: built build\/plugin\.wasm in \d+ ms \(\d+ bytes, abi 0\.2\.100, asc -O3\)$/, { timeoutMs: 120_000 });
    assert.equal(hasNames(), false, 'dev --release builds with -O3, without debug names');
    const both = await runCli(['dev', '--release', '--debug'], { cwd: p });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--debug and --release contradict each other/);
  });
});

/** How many custom sections named `name` a module has (the gateway's tsconfig has no DOM lib for WebAssembly's types). */
function customSections(bytes: Uint8Array, name: string): number {
  const wa = (globalThis as unknown as { WebAssembly: { Module: { new(b: Uint8Array): object; customSections(m: object, n: string): unknown[] } } }).WebAssembly;
  return wa.Module.customSections(new wa.Module(bytes), name).length;
}
