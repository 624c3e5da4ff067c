// `wasmgate validate` on cases/broken: every problem of every file, each at its file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run, type JsonReport } from '../../src/cli/commands/validate.js';
import { CASES, captureIo } from './helpers.js';

// Paths print relative to the working directory, so run from the folder above cases/.
const CWD = join(CASES, '..');

const EXPECTED = [
  'cases/broken/01-syntax.yaml:14:13  WG_CONFIG_YAML  Nested mappings are not allowed in compact mappings',
  'cases/broken/02-unknown-kind.yaml:3:7  kind  WG_CONFIG_UNKNOWN_KIND  unknown kind v1 ConfigMap',
  'cases/broken/02-unknown-kind.yaml:9:7  kind  WG_CONFIG_UNKNOWN_KIND  unknown kind v1 Service',
  'cases/broken/03-wrong-types.yaml:7:11  spec.rules[0].host  WG_CONFIG_INVALID  must be a lowercase DNS name, optionally starting with "*." (no port, no IP address), got "Foo.COM:8080"',
  'cases/broken/03-wrong-types.yaml:16:23  spec.rules[0].http.paths[0].backend.service.port.number  WG_CONFIG_INVALID  must be an integer, got "eighty"',
  'cases/broken/03-wrong-types.yaml:17:15  spec.rules[0].http.paths[1].path  WG_CONFIG_INVALID  must be an absolute path starting with "/", got "api"',
  'cases/broken/03-wrong-types.yaml:18:19  spec.rules[0].http.paths[1].pathType  WG_CONFIG_INVALID  must be one of Exact, Prefix, ImplementationSpecific, got "Regex"',
  'cases/broken/03-wrong-types.yaml:29:3  spec.endpoints  WG_CONFIG_INVALID  is required',
  'cases/broken/04-missing-refs.yaml:14:19  spec.rules[0].http.paths[0].backend.service.name  WG_CONFIG_REF_NOT_FOUND  Service "nowhere" not found in namespace "default"',
  'cases/broken/04-missing-refs.yaml:23:23  spec.rules[0].http.paths[1].backend.service.port.number  WG_CONFIG_REF_NOT_FOUND  Service default/good has no port 8080',
  'cases/broken/04-missing-refs.yaml:30:21  spec.rules[0].http.paths[2].backend.service.port.name  WG_CONFIG_REF_NOT_FOUND  Service default/good has no port named "grpc"',
  'cases/broken/05-duplicates.yaml:4:9  metadata.name  WG_CONFIG_DUPLICATE  duplicate Service default/good',
  'cases/broken/06-plugins.yaml:7:17  spec.failStrategy  WG_CONFIG_INVALID  must be one of FAIL_CLOSE, FAIL_OPEN, got "FAIL_SOMETIMES"',
  'cases/broken/06-plugins.yaml:8:13  spec.priority  WG_CONFIG_INVALID  must be an integer, got "high"',
  'cases/broken/06-plugins.yaml:15:8  spec.url  WG_CONFIG_INVALID  unsupported URL scheme "ftp://"',
  'cases/broken/06-plugins.yaml:18:5  spec.matchRules[0]  WG_CONFIG_INVALID  match rule has no ingress, domain or service list, so it matches nothing',
];

test('validate reports every error with file:line:col, path and code, then a summary, and exits 2', async () => {
  const io = captureIo(CWD);
  const exit = await run(['--config', 'cases/broken'], io);
  assert.equal(exit, 2);
  assert.deepEqual(io.stderr, []);
  const heads = io.stdout.filter((l) => !l.startsWith('  '));
  assert.deepEqual(heads, [...EXPECTED, '16 errors, 0 warnings in 6 files']);
});

test('each error is followed by a hint that says how to fix it', async () => {
  const io = captureIo(CWD);
  await run(['-c', 'cases/broken'], io);
  const out = io.stdout;
  for (const head of EXPECTED) {
    const i = out.indexOf(head);
    assert.ok(out[i + 1]?.startsWith('  hint: '), `no hint after: ${head}`);
  }
  const hintFor = (prefix: string) => out[out.findIndex((l) => l.startsWith(prefix)) + 1];
  assert.match(hintFor('cases/broken/02-unknown-kind.yaml:9:7')!, /wasmgate reads Service as apiVersion wasmgate.io\/v1alpha1/);
  assert.match(hintFor('cases/broken/04-missing-refs.yaml:23:23')!, /Its ports are: 80 \(http\)/);
  // The duplicate says where the first one is.
  const dup = out.findIndex((l) => l.startsWith('cases/broken/05-duplicates.yaml'));
  assert.match(out[dup + 2]!, /^ {2}first defined at .*cases\/broken\/01-syntax\.yaml:4:9$/);
});

test('--json prints the same problems as data', async () => {
  const io = captureIo(CWD);
  const exit = await run(['--config', 'cases/broken', '--json'], io);
  assert.equal(exit, 2);
  const report = JSON.parse(io.stdout.join('\n')) as JsonReport;
  assert.equal(report.ok, false);
  assert.equal(report.files.length, 6);
  assert.equal(report.summary, undefined);
  assert.deepEqual(
    report.errors.map((e) => `${e.file!.slice(CWD.length + 1)}:${e.line}:${e.col} ${e.code}`),
    EXPECTED.map((l) => {
      const [where, ...rest] = l.split('  ');
      return `${where} ${rest.find((x) => x.startsWith('WG_'))}`;
    }),
  );
  assert.ok(report.errors.every((e) => typeof e.hint === 'string' && e.message.length > 0));
});

test('a valid config exits 0 and says what it holds', async () => {
  const io = captureIo(CWD);
  const exit = await run(['cases/mock-response'], io);
  assert.equal(exit, 0);
  assert.deepEqual(io.stdout.filter((l) => !l.includes('WG_CONFIG_')), ['0 errors, 0 warnings in 4 files', 'config ok: 2 routes, 1 plugin, 1 service']);
});

test('usage errors exit 2 on stderr; a missing path is a WG_CONFIG_READ error', async () => {
  let io = captureIo(CWD);
  assert.equal(await run([], io), 2);
  assert.match(io.stderr[0]!, /no config given/);
  io = captureIo(CWD);
  assert.equal(await run(['--bogus'], io), 2);
  assert.match(io.stderr.join('\n'), /usage: wasmgate validate/);
  io = captureIo(CWD);
  assert.equal(await run(['--config', 'cases/does-not-exist'], io), 2);
  assert.match(io.stdout[0]!, /cases\/does-not-exist {2}WG_CONFIG_READ {2}cannot read .*: no such file or directory$/);
});
