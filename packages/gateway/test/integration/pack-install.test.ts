/**
 * The packages work outside this repository. `npm pack` of each workspace (its prepack builds), then
 * `npm install` of those tarballs into an empty project in a temp folder — offline, with an empty
 * npm cache of its own and an unreachable registry, so nothing can come from the network: the
 * gateway's own dependencies (yaml, typebox, undici) are packed from this repo's node_modules and
 * installed alongside, as a user would with tarballs handed to them. Then, from that project only:
 * the CLI through `npx wasmgate` (validate, inspect, --version), a plain node:test
 * file using `@wasmgate/testing` on a fixture .wasm, `import { Gateway } from 'wasmgate'` serving a
 * request on 127.0.0.1, the published types under `tsc --strict`, and the launcher on the machine's
 * old Node (20): WG_CLI_NODE_TOO_OLD without a bundled Node, a relaunch with one, and a clear error
 * from `import 'wasmgate'` there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/gateway.js';

const WORKSPACES = ['packages/host', 'packages/testing', 'packages/gateway'];
/** An address nothing listens on: any registry request fails at once instead of reaching out. */
const NO_REGISTRY = 'http://127.0.0.1:9/';
/** The machines' own Node, older than 22.12: the launcher's relaunch path. */
const OLD_NODE = '/usr/bin/node';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment without npm's per-run variables (npm test sets them; they point at this repo) and
 * without node:test's (a child `node --test` would report to our runner instead of its stdout).
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command to completion, never throwing; SIGKILLed after `timeoutMs`. */
function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : null), stdout, stderr });
    });
  });
}

function show(r: Ran): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** npm offline, on its own empty cache, with no reachable registry. */
function npmArgs(cache: string, ...args: string[]): string[] {
  return [...args, '--offline', '--cache', cache, '--registry', NO_REGISTRY, '--no-audit', '--no-fund', '--loglevel', 'error'];
}

/** Where `name` is installed for code in `fromDir`, searched like Node does (nearest node_modules first). */
function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = join(dir, '..')) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === join(dir, '..')) throw new Error(`${name} is not installed (looked from ${fromDir})`);
  }
}

/** The registry dependencies of our packages, and theirs: packed from node_modules, to install offline. */
function thirdPartyDependencies(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (manifestDir: string) => {
    const m = JSON.parse(readFileSync(join(manifestDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(m.dependencies ?? {})) {
      if (name.startsWith('@wasmgate/') || found.has(name)) continue;
      const dir = packageDir(name, manifestDir);
      found.set(name, dir);
      visit(dir);
    }
  };
  for (const w of WORKSPACES) visit(join(REPO_ROOT, w));
  return found;
}

function oldNode(): string | undefined {
  if (!existsSync(OLD_NODE)) return undefined;
  const v = spawnSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 12) ? OLD_NODE : undefined;
}

test('npm pack + offline npm install of the three packages into an empty project', { timeout: 5 * 60_000 }, async (t) => {
  const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8', env: cleanEnv() });
  if (npmVersion.status !== 0) {
    t.skip(`npm is not on PATH (${npmVersion.error?.message ?? npmVersion.stderr}): cannot pack and install`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wasmgate-pack-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const cache = join(tmp, 'npm-cache');
  const packs = join(tmp, 'packs');
  const project = join(tmp, 'consumer');
  mkdirSync(packs);
  mkdirSync(project);

  // 1. Pack: the workspaces through their prepack (tsc -b, a no-op when built), then third-party deps.
  const packed = await run('npm', npmArgs(cache, 'pack', ...WORKSPACES.flatMap((w) => ['-w', w]), '--pack-destination', packs), { cwd: REPO_ROOT, timeoutMs: 180_000 });
  assert.equal(packed.code, 0, `npm pack of the workspaces failed\n${show(packed)}`);
  const ours = readdirSync(packs).sort();
  assert.deepEqual(ours, ['wasmgate-0.1.0.tgz', 'wasmgate-host-0.1.0.tgz', 'wasmgate-testing-0.1.0.tgz']);
  for (const [name, dir] of thirdPartyDependencies()) {
    const r = await run('npm', npmArgs(cache, 'pack', dir, '--ignore-scripts', '--pack-destination', packs), { cwd: tmp });
    assert.equal(r.code, 0, `npm pack ${name} (${dir}) failed\n${show(r)}`);
  }

  // 2. Install every tarball into an empty project: no repository, no network, no warm cache.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));
  const installed = await run('npm', npmArgs(cache, 'install', ...tarballs), { cwd: project, timeoutMs: 180_000 });
  if (installed.code !== 0 && /ENOTCACHED/.test(installed.stderr)) {
    t.skip(`npm could not install offline here (it wanted something not packed):\n${installed.stderr}`);
    return;
  }
  assert.equal(installed.code, 0, `npm install of the tarballs failed\n${show(installed)}`);
  const wasmgateDir = join(project, 'node_modules', 'wasmgate');
  assert.ok(existsSync(join(wasmgateDir, 'LICENSE')), 'the package carries its LICENSE');
  assert.ok(existsSync(join(wasmgateDir, 'dist', 'src', 'index.d.ts')), 'types are where package.json says');
  assert.ok(!existsSync(join(wasmgateDir, 'dist', 'test')), 'compiled tests are not published');
  cpSync(join(REPO_ROOT, 'examples', 'mock-response', 'gateway.yaml'), join(project, 'config', 'gateway.yaml'));
  cpSync(join(REPO_ROOT, 'examples', 'mock-response', 'plugin', 'plugin.wasm'), join(project, 'config', 'plugin', 'plugin.wasm'));
  const npx = (args: string[], env?: NodeJS.ProcessEnv) => run('npm', ['exec', '--offline', '--cache', cache, '--registry', NO_REGISTRY, '--', 'wasmgate', ...args], { cwd: project, ...(env ? { env } : {}) });

  await t.test('the CLI: npx wasmgate validate / inspect / --version', async () => {
    const validate = await npx(['validate', '--config', 'config']);
    assert.equal(validate.code, 0, show(validate));
    const inspect = await npx(['inspect', 'config/plugin/plugin.wasm']);
    assert.equal(inspect.code, 0, show(inspect));
    assert.match(inspect.stdout, /abi:\s+0\.2\.1/);
    const version = await npx(['--version']);
    assert.equal(version.code, 0, show(version));
    const { version: expected } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'gateway', 'package.json'), 'utf8')) as { version: string };
    assert.ok(version.stdout.includes(expected), `--version prints ${expected}\n${show(version)}`);
  });

  await t.test('@wasmgate/testing from a plain node:test file, on a fixture .wasm', async () => {
    writeFileSync(join(project, 'plugin.test.mjs'), [
      "import assert from 'node:assert/strict';",
      "import { test } from 'node:test';",
      "import { loadPlugin } from '@wasmgate/testing';",
      "test('mock-response answers locally', async () => {",
      "  const plugin = await loadPlugin('config/plugin/plugin.wasm', { config: { content: 'hello packed' } });",
      '  const s = plugin.stream();',
      "  const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'x.test' }, { endStream: true });",
      "  assert.equal(r.action, 'local-reply');",
      "  assert.equal(s.downstream.body, 'hello packed');",
      '  s.end();',
      '  plugin.close();',
      '});',
    ].join('\n'));
    const r = await run(process.execPath, ['--test', '--test-reporter=tap', 'plugin.test.mjs'], { cwd: project });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /# pass 1/, show(r));
  });

  await t.test("import { Gateway } from 'wasmgate' serves a request on 127.0.0.1", async () => {
    writeFileSync(join(project, 'serve.mjs'), [
      "import { Gateway, createLogger, LogLevel, loadConfig } from 'wasmgate';",
      "const checked = loadConfig(['config']);",
      "if (checked.errors.length) throw new Error(checked.errors.map((e) => e.message).join('; '));",
      'const gateway = await Gateway.start({',
      "  configPaths: ['config'],",
      "  overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: 1 },",
      "  logger: createLogger((line) => process.stderr.write(line + '\\n'), LogLevel.warn),",
      '  watch: false,',
      '});',
      'try {',
      '  const res = await fetch(`http://127.0.0.1:${gateway.address.port}/foo`);',
      '  console.log(JSON.stringify({ status: res.status, body: await res.text() }));',
      '} finally {',
      '  await gateway.close(1000);',
      '}',
    ].join('\n'));
    const r = await run(process.execPath, ['serve.mjs'], { cwd: project, timeoutMs: 60_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout.trim()), { status: 200, body: 'hello foo' });
  });

  await t.test('the published types compile under tsc --strict', async () => {
    writeFileSync(join(project, 'check.ts'), [
      "import { Gateway, createLogger, loadConfig, WasmgateError, type GatewayOptions, type ReloadOutcome } from 'wasmgate';",
      "import { loadPlugin, type TestPlugin } from '@wasmgate/testing';",
      "const opts: GatewayOptions = { configPaths: ['config'], logger: createLogger(() => undefined), watch: false };",
      'export async function main(): Promise<ReloadOutcome | undefined> {',
      "  const plugin: TestPlugin = await loadPlugin('config/plugin/plugin.wasm');",
      '  plugin.close();',
      "  const { errors } = loadConfig(['config']);",
      '  const codes: string[] = errors.map((e: WasmgateError) => e.code);',
      '  if (codes.length) return undefined;',
      '  const gw = await Gateway.start(opts);',
      '  const port: number = gw.address.port;',
      '  await gw.close();',
      '  return port > 0 ? gw.lastReload : undefined;',
      '}',
    ].join('\n'));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        skipLibCheck: false, types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      },
      files: ['check.ts'],
    }));
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 120_000 });
    assert.equal(r.code, 0, show(r));
  });

  await t.test('the launcher on an old Node: a clear error without a bundled Node, a relaunch with one', async (t) => {
    const old = oldNode();
    if (!old) {
      t.skip(`${OLD_NODE} is absent or not older than 22.12: no old Node to launch from`);
      return;
    }
    const bin = join(wasmgateDir, 'bin', 'wasmgate.js');
    const bundledName = `node-${process.platform}-${process.arch}`;
    const bundledHere = join(project, 'node_modules', bundledName);
    // The project was installed from an empty cache: npm skipped the optional bundled Node (offline).
    if (!existsSync(bundledHere)) {
      const r = await run(old, [bin, 'inspect', 'config/plugin/plugin.wasm'], { cwd: project });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /^error WG_CLI_NODE_TOO_OLD: wasmgate needs Node >= 22\.12/m);
      assert.match(r.stderr, /^hint: /m);
      let repoBundled: string;
      try {
        repoBundled = packageDir(bundledName, REPO_ROOT);
      } catch {
        t.skip(`this repository has no ${bundledName} to stand in for npm installing it`);
        return;
      }
      // What npm would have installed with a reachable registry: the same package, hoisted.
      symlinkSync(repoBundled, bundledHere, 'dir');
    }
    const r = await run(old, [bin, 'inspect', 'config/plugin/plugin.wasm'], { cwd: project });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /abi:\s+0\.2\.1/);
    // A library import cannot switch Node: it says so at once.
    const imported = await run(old, ['--input-type=module', '-e', "import 'wasmgate';"], { cwd: project });
    assert.notEqual(imported.code, 0, show(imported));
    assert.match(imported.stderr, /wasmgate needs Node\.js >= 22\.12, this is v/);
  });
});
