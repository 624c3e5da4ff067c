/**
 * The real CLI (bin/wasmgate.js) as users run it: `serve` refuses a broken folder with the
 * `validate` report and exit 2, and serves a good one until SIGTERM; `run <plugin.wasm>` puts one
 * plugin in front of the built-in echo backend (configured with JSON or YAML); `inspect` on every
 * .wasm under fixtures/; the conventions every command follows (--version, --help, usage errors).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { freePort } from '../helpers/daemon.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { KITCHEN_SINK, REPO_ROOT, fixture, send } from '../helpers/gateway.js';

const BROKEN = 'packages/gateway/test/config/cases/broken';
const MISTAKES = 'packages/gateway/test/config/cases/mistakes';

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

  test('refuses cases/mistakes (missing plugin files, placeholder and one-slash URLs, bad hosts) with exactly the validate report', async () => {
    const [serve, validate] = await Promise.all([
      runCli(['serve', '--config', MISTAKES, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--no-watch']),
      runCli(['validate', '--config', MISTAKES]),
    ]);
    assert.equal(validate.code, 2);
    assert.equal(serve.code, 2, serve.stderr);
    assert.match(validate.stdout, /^7 errors, 4 warnings in 5 files$/m);
    for (const code of ['WG_CONFIG_PLUGIN_FILE', 'WG_CONFIG_INVALID', 'WG_CONFIG_UNKNOWN_FIELD', 'WG_CONFIG_SKIPPED_FILE']) assert.match(validate.stdout, new RegExp(`  ${code}  `));
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

  test('a --config that is neither JSON nor YAML, or not a mapping, is a usage error (exit 2)', async () => {
    const [bad, list] = await Promise.all([
      runCli(['run', KITCHEN_SINK, '--config', '{nope', '--listen', '127.0.0.1:0']),
      runCli(['run', KITCHEN_SINK, '--config', '[a, b]', '--listen', '127.0.0.1:0']),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error WG_CLI_USAGE: --config is not valid JSON or YAML: /);
    assert.match(bad.stderr, /^usage: wasmgate run <plugin\.wasm>/m);
    assert.equal(list.code, 2);
    assert.match(list.stderr, /^error WG_CLI_USAGE: --config must be a mapping \(a JSON object or YAML keys\), got a list$/m);
  });

  test('--config takes YAML, inline or @file, as Higress READMEs give plugin configuration', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-run-yaml-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'config.yaml'), '# from a README\ncontent: |\n  hi from a YAML file\n');
    const [inline, file] = [await freePort(), await freePort()];
    await Promise.all([
      spawnCli(t, ['run', fixture('go/mock-response/plugin.wasm'), '--config', 'content: hi from YAML', '--listen', `127.0.0.1:${inline}`], /wasmgate run:/),
      spawnCli(t, ['run', fixture('go/mock-response/plugin.wasm'), '--config', `@${join(dir, 'config.yaml')}`, '--listen', `127.0.0.1:${file}`], /wasmgate run:/),
    ]);
    assert.equal((await send(inline, { path: '/x' })).body, 'hi from YAML');
    assert.equal((await send(file, { path: '/x' })).body, 'hi from a YAML file\n');
  });

  test('a missing plugin or @file is WG_CLI_FILE naming the path as typed (exit 2)', async () => {
    const [plugin, config] = await Promise.all([
      runCli(['run', 'fixtures/nope.wasm']),
      runCli(['run', KITCHEN_SINK, '--config', '@nope.yaml']),
    ]);
    assert.equal(plugin.code, 2);
    assert.match(plugin.stderr, /^error WG_CLI_FILE: cannot read fixtures\/nope\.wasm: no such file$/m);
    assert.equal(config.code, 2);
    assert.match(config.stderr, /^error WG_CLI_FILE: cannot read nope\.yaml: /m);
  });
});

describe('CLI conventions', () => {
  const COMMANDS = [['serve'], ['run'], ['validate'], ['inspect'], ['oci'], ['oci', 'push'], ['oci', 'pull']];

  test('--version, -v and version print the version of packages/gateway/package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/gateway/package.json'), 'utf8')) as { version: string };
    for (const r of await Promise.all([['--version'], ['-v'], ['version']].map((a) => runCli(a)))) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `wasmgate ${version}\n`);
      assert.equal(r.stderr, '');
    }
  });

  test('--help and -h print the command list and exit 0; no command at all exits 2', async () => {
    const [long, short, word, none] = await Promise.all([runCli(['--help']), runCli(['-h']), runCli(['help']), runCli([])]);
    for (const r of [long, short, word]) {
      assert.equal(r.code, 0);
      assert.equal(r.stdout, long.stdout);
      for (const [c] of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
      assert.match(r.stdout, /-v, --version/);
    }
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error WG_CLI_USAGE: no command given\nusage: wasmgate <command>/);
  });

  test('every command: --help and -h print its usage on stdout and exit 0 (help <command> too)', async () => {
    const runs = await Promise.all(COMMANDS.flatMap((c) => [runCli([...c, '--help']), runCli([...c, '-h'])]));
    COMMANDS.forEach((c, i) => {
      const [long, short] = [runs[2 * i]!, runs[2 * i + 1]!];
      assert.equal(long.code, 0, `${c.join(' ')} --help: ${long.stderr}`);
      assert.equal(long.stderr, '');
      assert.match(long.stdout, new RegExp(`^usage: wasmgate ${c.join(' ')} `));
      assert.match(long.stdout, /^ {2}-h, --help +print this help and exit$/m);
      assert.equal(short.stdout, long.stdout, `${c.join(' ')} -h`);
    });
    const serve = runs[0]!.stdout;
    for (const o of ['-c, --config <file|dir>', '--listen <HOST:PORT>', '--admin <HOST:PORT>', '--workers <N>', '--access-log <stdout|FILE>', '--log-level <LEVEL>', '--no-watch']) {
      assert.ok(serve.includes(o), `serve --help lists ${o}\n${serve}`);
    }
    const run = runs[2]!.stdout;
    for (const o of ['--config <JSON|YAML|@file>', '--upstream <URL>', '--listen', '--admin', '--fail-open']) assert.ok(run.includes(o), o);
    assert.match(runs[4]!.stdout, /--strict/);
    const help = await runCli(['help', 'serve']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, serve);
  });

  test('an unknown option: one-line WG_CLI_USAGE error, then exactly the --help text, exit 2', async () => {
    const lines: [string[], string][] = [
      [['serve', '--config', 'examples/mock-response', '--bogus'], 'unknown option --bogus for "wasmgate serve"'],
      [['run', KITCHEN_SINK, '--bogus'], 'unknown option --bogus for "wasmgate run"'],
      [['validate', 'examples/mock-response', '--bogus'], 'unknown option --bogus for "wasmgate validate"'],
      [['inspect', '--jsn', KITCHEN_SINK], 'unknown option --jsn for "wasmgate inspect" (did you mean --json?)'],
      [['oci', 'push', KITCHEN_SINK, 'r.example/p:1', '-o', 'x'], 'unknown option -o for "wasmgate oci push"'],
      [['oci', 'pull', 'r.example/p:1', '--readme', 'x'], 'unknown option --readme for "wasmgate oci pull"'],
      [['serve', '--config', 'examples/mock-response', '--log-levle', 'debug'], 'unknown option --log-levle for "wasmgate serve" (did you mean --log-level?)'],
    ];
    const runs = await Promise.all(lines.map(([a]) => runCli(a)));
    const helps = await Promise.all(lines.map(([a]) => runCli([...(a[0] === 'oci' ? a.slice(0, 2) : a.slice(0, 1)), '--help'])));
    lines.forEach(([args, message], i) => {
      const r = runs[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `error WG_CLI_USAGE: ${message}\n${helps[i]!.stdout}`, args.join(' '));
    });
  });

  test('missing arguments and values: one-line WG_CLI_USAGE error and the usage, exit 2', async () => {
    const cases: [string[], string][] = [
      [['serve'], 'wasmgate serve needs --config <file|dir>'],
      [['serve', '--config'], '--config needs a value: --config <file|dir>'],
      [['validate', '--config', '--json'], '--config needs a value: --config <file|dir>, not --json'],
      [['run'], 'wasmgate run needs a plugin: wasmgate run <plugin.wasm>'],
      [['run', KITCHEN_SINK, KITCHEN_SINK], `unexpected argument "${KITCHEN_SINK}"`],
      [['validate'], 'no config given: wasmgate validate --config <file|dir>'],
      [['inspect'], 'wasmgate inspect needs a plugin: wasmgate inspect <plugin.wasm>'],
      [['inspect', '--json=yes', KITCHEN_SINK], '--json takes no value'],
      [['oci'], 'oci needs a sub-command: push or pull'],
      [['oci', 'push', KITCHEN_SINK], 'wasmgate oci push needs <plugin.wasm> and <registry/repo:tag>'],
      [['serve', '--config', 'x', '--workers', 'many'], '--workers must be a whole number from 1 to 256, not "many" (leave it out to run one worker per CPU)'],
      [['serve', '--config', 'x', '--log-level', 'loud'], '--log-level must be one of trace, debug, info, warn, error, critical, not "loud"'],
    ];
    const runs = await Promise.all(cases.map(([a]) => runCli(a)));
    cases.forEach(([args, message], i) => {
      const r = runs[i]!;
      assert.equal(r.code, 2, args.join(' '));
      const [first, second] = r.stderr.split('\n');
      assert.equal(first, `error WG_CLI_USAGE: ${message}`, args.join(' '));
      assert.match(second!, /^usage: wasmgate /, args.join(' '));
    });
  });

  test('an unknown command exits 2 with the command list', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error WG_CLI_UNKNOWN_COMMAND: unknown command "frobnicate"\nusage: wasmgate <command>/);
  });

  test('no colour codes in any output (wasmgate writes none, so pipes and NO_COLOR get plain text)', async () => {
    const runs = await Promise.all([runCli(['serve', '--help']), runCli(['validate', BROKEN]), runCli(['inspect', '--bogus'])]);
    for (const r of runs) assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/);
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
