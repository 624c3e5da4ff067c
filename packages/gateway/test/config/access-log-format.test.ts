// Gateway accessLog: the string form, the {path, format | jsonFormat} form, and formats refused by
// validate with their location (WG_CONFIG_ACCESS_LOG_FORMAT). Formatting itself: compileFormat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVOY_DEFAULT_FORMAT, parseFormatString } from '../../src/config/access-log-format.js';
import { compileFormat, strftime, type AccessLogRecord } from '../../src/proxy/access-log.js';
import { runCli } from '../helpers/cli.js';
import { brief, loadText, mustLoad, VIRTUAL } from './helpers.js';

const gateway = (spec: string) => `apiVersion: wasmgate.io/v1alpha1
kind: Gateway
metadata: {name: gw}
spec:
${spec}
`;

test('accessLog as a string is the target, as before (no format: the built-in JSON line)', () => {
  const c = mustLoad(gateway('  accessLog: stdout'));
  assert.equal(c.gateway.accessLog, 'stdout');
  assert.equal(c.gateway.accessLogFormat, undefined);
});

test('accessLog as a mapping: path (relative to the manifest) and a format parsed at load', () => {
  const c = mustLoad(gateway('  accessLog:\n    path: logs/access.log\n    format: "%REQ(:METHOD)% %RESPONSE_CODE%:3"'));
  assert.equal(c.gateway.accessLog, '/virtual/config/logs/access.log');
  assert.deepEqual(c.gateway.accessLogFormat, { kind: 'text', tokens: [{ op: 'REQ', arg: ':method' }, ' ', { op: 'RESPONSE_CODE' }, ':3'] });
  const d = mustLoad(gateway('  accessLog: {path: stdout, format: default}'));
  assert.deepEqual(d.gateway.accessLogFormat, { kind: 'text', tokens: (parseFormatString(ENVOY_DEFAULT_FORMAT) as { tokens: unknown }).tokens });
  const j = mustLoad(gateway('  accessLog: {path: stdout, jsonFormat: {code: "%RESPONSE_CODE%", n: 1, x: {y: "%PROTOCOL%"}}}'));
  assert.deepEqual(j.gateway.accessLogFormat, {
    kind: 'json',
    fields: [['code', { tokens: [{ op: 'RESPONSE_CODE' }] }], ['n', { constant: 1 }], ['x', { fields: [['y', { tokens: [{ op: 'PROTOCOL' }] }]] }]],
  });
});

test('bad formats are WG_CONFIG_ACCESS_LOG_FORMAT errors located at the offending character', () => {
  const cases: [string, string, RegExp][] = [
    ['format: "%REQ(:PATH)% %RESPONSE_COD%"', '7:27 spec.accessLog.format', /unknown command operator %RESPONSE_COD%; did you mean %RESPONSE_CODE%\? \(character 14 of the format\)/],
    ['format: "%REQ%"', '7:14 spec.accessLog.format', /%REQ%: %REQ\(…\)% needs an argument/],
    ['format: "%DURATION(ms)%"', '7:14 spec.accessLog.format', /takes no argument/],
    ['format: "50% done"', '7:16 spec.accessLog.format', /a "%" that starts no command operator.*character 3/],
    ['format: "%REQ(:PATH"', '7:14 spec.accessLog.format', /not closed by "\)%"/],
    ['format: "%START_TIME(%Q)%"', '7:14 spec.accessLog.format', /unknown time specifier "%Q"/],
    ['format: "%FILTER_STATE(wasm.x:RAW)%"', '7:14 spec.accessLog.format', /PLAIN or TYPED/],
    ["format: 'it''s %NOPE%'", '7:13 spec.accessLog.format', /unknown command operator %NOPE% \(character 6 of the format\)/],
    ["format: '100% %NOPE%'", '7:17 spec.accessLog.format', /a "%" that starts no command operator/],
    ['jsonFormat: {a: "%PROTOCOL%", b: {c: "%NOPE%"}}', '7:43 spec.accessLog.jsonFormat.b.c', /unknown command operator %NOPE%/],
    ['jsonFormat: {a: [1]}', '7:21 spec.accessLog.jsonFormat.a', /not a list/],
    ['format: "%PROTOCOL%"\n    jsonFormat: {a: "%PROTOCOL%"}', '8:17 spec.accessLog.jsonFormat', /both format and jsonFormat/],
  ];
  for (const [yaml, where, message] of cases) {
    const r = loadText(gateway(`  accessLog:\n    path: stdout\n    ${yaml}`));
    assert.deepEqual(brief(r.errors), [`WG_CONFIG_ACCESS_LOG_FORMAT ${where}`], yaml);
    assert.match(r.errors[0]!.message, message, yaml);
    assert.equal(r.errors[0]!.location?.file, VIRTUAL);
  }
});

test('accessLog of the wrong shape: WG_CONFIG_INVALID saying what is accepted', () => {
  const r = loadText(gateway('  accessLog: [stdout]'));
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_INVALID 5:14 spec.accessLog']);
  assert.match(r.errors[0]!.message, /must be "stdout", a file path, or a mapping \{path, format \| jsonFormat\}, got a list/);
});

test('wasmgate validate refuses a bad format with file:line:col (exit 2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-alf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, gateway('  accessLog:\n    path: access.log\n    format: "[%START_TIME%] %REQ(:PATH)% %UPSTREAM_HOSTNAME%"'));
  const r = await runCli(['validate', '--config', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stdout.includes(`${file}:7:42  spec.accessLog.format  WG_CONFIG_ACCESS_LOG_FORMAT  unknown command operator %UPSTREAM_HOSTNAME% (character 29 of the format)`), r.stdout);
});

/** A record with every field set, for the formatter alone. */
function record(over: Partial<AccessLogRecord> = {}): AccessLogRecord {
  const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] });
  return {
    startMs: Date.UTC(2026, 0, 2, 3, 4, 5, 67), endMs: Date.UTC(2026, 0, 2, 3, 4, 5, 67) + 42, requestEndMs: undefined, upstreamFirstByteMs: undefined,
    requestId: 'r', method: 'GET', url: '/a?b=1', authority: 'h',
    requestHeaders: h({ ':method': 'GET', ':path': '/a?b=1', 'user-agent': 'curl/8.1.2' }), responseHeaders: undefined, responseTrailers: undefined,
    status: 0, details: '', responseFlags: 0x20 | 0x4000, bytesReceived: 0, bytesSent: 0, protocol: 'HTTP/1.1',
    routeName: undefined, clusterName: undefined, upstreamHost: undefined, upstreamLocal: undefined, transportFailureReason: undefined,
    downstreamRemote: { ip: '::1', port: 5000 }, downstreamLocal: undefined, connectionId: 65537n, property: () => undefined,
    ...over,
  };
}
const text = (format: string, r = record()) => {
  const p = parseFormatString(format);
  assert.ok('tokens' in p, format);
  return compileFormat({ kind: 'text', tokens: p.tokens })(r);
};

test('formatter: missing values are "-", truncation, flags, IPv6 addresses, START_TIME specifiers', () => {
  assert.equal(text('%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS% %UPSTREAM_HOST% %ROUTE_NAME% %REQUEST_DURATION%'), '0 - UF,DC - - -');
  assert.equal(text('%REQ(USER-AGENT):4% %REQ(x-a?:path)% %REQ_WITHOUT_QUERY(:PATH)% %RESP(X)% %TRAILER(X)%'), 'curl /a?b=1 /a - -');
  assert.equal(text('%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %CONNECTION_ID% %DURATION%'), '[::1]:5000 ::1 65537 42');
  assert.equal(text('%START_TIME%|%START_TIME(%Y/%m/%d %H:%M:%S %z %Z %s %f %3f %E3S %E*S %j %a %b %T %F %%)%'),
    '2026-01-02T03:04:05.067Z|2026/01/02 03:04:05 +0000 UTC 1767323045 067000000 067 05.067 05.067 002 Fri Jan 03:04:05 2026-01-02 %');
  assert.equal(strftime('%6f', Date.UTC(2026, 0, 1, 0, 0, 0, 5)), '005000');
});
