/**
 * Envoy-style access-log formats (Gateway `accessLog: {path, format | jsonFormat}`): the exact lines
 * real requests through the gateway produce for an upstream answer (with trailers and a request
 * body), a plugin's local reply (fixtures/go/mock-response) and an upstream connection failure;
 * Higress's custom_log / ai_log via %FILTER_STATE(wasm.…)% (fixtures/wat/custom-log.wasm); and
 * json_format typing (numbers stay numbers, missing values are null).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLevel } from '@wasmgate/host';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import {
  Cleanup, fixture, gatewaySpec, ingress, poll, send, service, startUpstream, wasmPlugin, writeConfig, type AfterHook, type Manifest,
} from '../helpers/gateway.js';
import { freePort } from '../helpers/daemon.js';

const MOCK = fixture('go/mock-response/plugin.wasm');
const CUSTOM_LOG = fixture('wat/custom-log.wasm');

/** A gateway with one worker whose access-log lines are kept as text. */
async function startRaw(hook: AfterHook, docs: readonly Manifest[]): Promise<{ gateway: Gateway; port: number; lines: string[] }> {
  const lines: string[] = [];
  const gateway = await Gateway.start({
    configPaths: [writeConfig(hook, docs)],
    overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: 1 },
    logger: createLogger(() => undefined, LogLevel.error),
    accessLog: (l) => lines.push(l),
    watch: false,
  });
  hook.after(() => gateway.close());
  return { gateway, port: gateway.address.port, lines };
}


async function manifests(bag: Cleanup, accessLog: unknown): Promise<{ docs: Manifest[]; upPort: number; deadPort: number }> {
  const up = await startUpstream(bag, (seen, res) => {
    if (seen.url === '/trailers') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('with trailers');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-up': 'yes' }).end('upstream ok');
    }
  });
  const deadPort = await freePort();
  const mock = ingress('mock', 'backend', { path: '/mock' });
  const dead = ingress('dead', 'dead', { path: '/dead' });
  const docs = [
    service('backend', [`127.0.0.1:${up.port}`]),
    service('dead', [`127.0.0.1:${deadPort}`]),
    ingress('all', 'backend'), mock, dead,
    wasmPlugin('custom-log', CUSTOM_LOG),
    wasmPlugin('mock-response', MOCK, { matchRules: [{ ingress: ['default/mock'], config: { content: 'mocked' } }] }),
    gatewaySpec({ accessLog }),
  ];
  return { docs, upPort: up.port, deadPort };
}

describe('access log: Envoy format strings', () => {
  const bag = new Cleanup();
  let gw: Awaited<ReturnType<typeof startRaw>>;
  let upPort: number;
  let deadPort: number;
  const FIXED = [
    '%REQ(X-REQUEST-ID)% %REQ(:METHOD)% %REQ(:PATH)% %REQ_WITHOUT_QUERY(:PATH)% %REQ(:AUTHORITY)% %PROTOCOL%',
    '%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%',
    '%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %ROUTE_NAME% %UPSTREAM_TRANSPORT_FAILURE_REASON%',
    '"%REQ(X-MISSING?USER-AGENT):5%" %RESP(X-UP)% %RESP(CONTENT-TYPE)% %TRAILER(X-CHECKSUM)%',
    '%FILTER_STATE(wasm.custom_log:PLAIN)% %FILTER_STATE(wasm.ai_log:PLAIN)% %FILTER_STATE(other.key:PLAIN)%',
    '%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% 100%%',
  ].join(' ');
  const VARIABLE = '%START_TIME% %START_TIME(%Y-%m-%dT%H:%M:%S%z)% %START_TIME(%s.%3f|%f)% %DURATION% %REQUEST_DURATION% %RESPONSE_DURATION% %DOWNSTREAM_REMOTE_ADDRESS% %CONNECTION_ID% %UPSTREAM_LOCAL_ADDRESS%';

  before(async () => {
    const m = await manifests(bag, { path: 'stdout', format: `${FIXED} | ${VARIABLE}\n` });
    upPort = m.upPort;
    deadPort = m.deadPort;
    gw = await startRaw(bag, m.docs);
  });
  after(() => bag.run());

  /** The line of request `id`, split at " | " into its fixed and variable parts. */
  async function lineOf(id: string): Promise<{ fixed: string; variable: string[] }> {
    await gw.gateway.settle();
    const line = await poll(`access-log line ${id}`, async () => gw.lines.find((l) => l.startsWith(`${id} `)));
    assert.ok(!line.endsWith('\n'), 'the trailing \\n of the format is not doubled');
    const [fixed, variable] = line.split(' | ');
    return { fixed: fixed!, variable: variable!.split(' ') };
  }
  const cluster = (svc: string) => `outbound|80||${svc}.default.svc.cluster.local`;
  const custom = '{"user":"alice","plan":"gold"} {"model":"qwen","input_token":12} -';

  test('an upstream answer: every operator, exactly', async () => {
    const started = Date.now();
    const r = await send(gw.port, { method: 'POST', path: '/hello?x=1', headers: { host: 'shop.test', 'x-request-id': 'up-1', 'user-agent': 'curl/8.1.2' }, body: 'abcdef' });
    assert.equal(r.status, 200);
    const { fixed, variable } = await lineOf('up-1');
    assert.equal(fixed, [
      'up-1 POST /hello?x=1 /hello shop.test HTTP/1.1',
      '200 via_upstream - 6 11',
      `127.0.0.1:${upPort} ${cluster('backend')} default/all -`,
      `"curl/" yes text/plain -`,
      custom,
      `127.0.0.1:${gw.port} 127.0.0.1 100%`,
    ].join(' '));
    const [iso, local, epoch, duration, requestDuration, responseDuration, remote, connectionId, upstreamLocal] = variable;
    assert.match(iso!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const t = Date.parse(iso!);
    assert.ok(t >= started - 5 && t <= Date.now(), `${iso} is the request's start`);
    assert.equal(local, `${iso!.slice(0, 19)}+0000`);
    assert.equal(epoch, `${Math.floor(t / 1000)}.${iso!.slice(20, 23)}|${iso!.slice(20, 23)}000000`);
    for (const n of [duration, requestDuration, responseDuration]) assert.match(n!, /^\d+$/);
    assert.ok(Number(requestDuration) <= Number(duration) && Number(responseDuration) <= Number(duration));
    assert.match(remote!, /^127\.0\.0\.1:\d+$/);
    assert.match(connectionId!, /^\d+$/);
    assert.match(upstreamLocal!, /^127\.0\.0\.1:\d+$/);
  });

  test('response trailers: %TRAILER(X)%', async () => {
    const r = await send(gw.port, { path: '/trailers', headers: { 'x-request-id': 'tr-1' } });
    assert.equal(r.body, 'with trailers');
    const { fixed } = await lineOf('tr-1');
    assert.equal(fixed, [
      `tr-1 GET /trailers /trailers 127.0.0.1:${gw.port} HTTP/1.1`,
      '200 via_upstream - 0 13',
      `127.0.0.1:${upPort} ${cluster('backend')} default/all -`,
      `"-" - text/plain abc123`,
      custom,
      `127.0.0.1:${gw.port} 127.0.0.1 100%`,
    ].join(' '));
  });

  test('a local reply from a plugin: no upstream, so no upstream host and no response duration', async () => {
    const r = await send(gw.port, { path: '/mock', headers: { 'x-request-id': 'mock-1', 'user-agent': 'ua' } });
    assert.equal(r.body, 'mocked');
    const { fixed, variable } = await lineOf('mock-1');
    assert.equal(fixed, [
      `mock-1 GET /mock /mock 127.0.0.1:${gw.port} HTTP/1.1`,
      '200 local_reply - 0 6',
      `- ${cluster('backend')} default/mock -`,
      `"ua" - text/plain -`,
      custom,
      `127.0.0.1:${gw.port} 127.0.0.1 100%`,
    ].join(' '));
    assert.equal(variable[5], '-', 'RESPONSE_DURATION');
    assert.equal(variable[8], '-', 'UPSTREAM_LOCAL_ADDRESS');
  });

  test('an upstream connection failure: 503, flag UF, the host tried and the transport failure reason', async () => {
    const r = await send(gw.port, { path: '/dead/x', headers: { 'x-request-id': 'dead-1' } });
    assert.equal(r.status, 503);
    const { fixed, variable } = await lineOf('dead-1');
    assert.equal(fixed, [
      `dead-1 GET /dead/x /dead/x 127.0.0.1:${gw.port} HTTP/1.1`,
      `503 upstream_reset_before_response_started{connection_failure} UF 0 ${r.body.length}`,
      `127.0.0.1:${deadPort} ${cluster('dead')} default/dead ECONNREFUSED`,
      `"-" - text/plain -`,
      custom,
      `127.0.0.1:${gw.port} 127.0.0.1 100%`,
    ].join(' '));
    assert.equal(variable[5], '-', 'RESPONSE_DURATION: no response head came from the upstream');
  });
});

describe('access log: format "default" is Envoy\'s default format', () => {
  const bag = new Cleanup();
  after(() => bag.run());

  test('the line of an upstream answer', async () => {
    const m = await manifests(bag, { path: 'stdout', format: 'default' });
    const gw = await startRaw(bag, m.docs);
    await send(gw.port, { path: '/p?q=1', headers: { host: 'a.test', 'x-request-id': 'def-1', 'user-agent': 'curl/8', 'x-forwarded-for': '10.0.0.1' } });
    await gw.gateway.settle();
    const line = await poll('line', async () => gw.lines[0]);
    // X-Forwarded-For as the chain and the access log see it: the client's address appended (Gateway edge.useRemoteAddress).
    assert.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET \/p\?q=1 HTTP\/1\.1" 200 - 0 11 \d+ - "10\.0\.0\.1,127\.0\.0\.1" "curl\/8" "def-1" "a\.test" "127\.0\.0\.1:(\d+)"$/);
    assert.equal(line.match(/:(\d+)"$/)![1], String(m.upPort));
  });
});

describe('access log: jsonFormat', () => {
  const bag = new Cleanup();
  let gw: Awaited<ReturnType<typeof startRaw>>;
  let upPort: number;
  before(async () => {
    const m = await manifests(bag, {
      path: 'stdout',
      jsonFormat: {
        id: '%REQ(X-REQUEST-ID)%',
        status: '%RESPONSE_CODE%',
        bytes: '%BYTES_SENT%',
        received: '%BYTES_RECEIVED%',
        duration: '%DURATION%',
        responseDuration: '%RESPONSE_DURATION%',
        connection: '%CONNECTION_ID%',
        missing: '%REQ(X-NOPE)%',
        flags: '%RESPONSE_FLAGS%',
        mixed: '%REQ(:METHOD)% %RESPONSE_CODE% %REQ(X-NOPE)%',
        truncated: '%REQ(USER-AGENT):4%',
        custom_log: '%FILTER_STATE(wasm.custom_log:TYPED)%',
        custom_plain: '%FILTER_STATE(wasm.custom_log:PLAIN)%',
        ai_log: '%FILTER_STATE(wasm.ai_log)%',
        constant: 7,
        enabled: true,
        nothing: null,
        upstream: { host: '%UPSTREAM_HOST%', cluster: '%UPSTREAM_CLUSTER%', route: '%ROUTE_NAME%' },
      },
    });
    upPort = m.upPort;
    gw = await startRaw(bag, m.docs);
  });
  after(() => bag.run());

  test('values are typed: numbers stay numbers, TYPED filter state is JSON, missing values are null', async () => {
    await send(gw.port, { method: 'POST', path: '/j', headers: { 'x-request-id': 'json-1', 'user-agent': 'curl/8.1.2' }, body: 'xyz' });
    await gw.gateway.settle();
    const line = await poll('line', async () => gw.lines.find((l) => l.includes('json-1')));
    const e = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof e.duration, 'number');
    assert.equal(typeof e.responseDuration, 'number');
    assert.equal(typeof e.connection, 'number');
    const { duration: _d, responseDuration: _r, connection: _c, ...rest } = e;
    assert.deepEqual(rest, {
      id: 'json-1', status: 200, bytes: 11, received: 3, missing: null, flags: null, mixed: 'POST 200 -', truncated: 'curl',
      custom_log: { user: 'alice', plan: 'gold' }, custom_plain: '{"user":"alice","plan":"gold"}', ai_log: { model: 'qwen', input_token: 12 },
      constant: 7, enabled: true, nothing: null,
      upstream: { host: `127.0.0.1:${upPort}`, cluster: 'outbound|80||backend.default.svc.cluster.local', route: 'default/all' },
    });
    assert.deepEqual(Object.keys(e).slice(0, 3), ['id', 'status', 'bytes'], 'fields keep their order');
  });

  test('an upstream failure: status 503 as a number, flags "UF", no response duration (null)', async () => {
    await send(gw.port, { path: '/dead', headers: { 'x-request-id': 'json-2' } });
    await gw.gateway.settle();
    const e = JSON.parse(await poll('line', async () => gw.lines.find((l) => l.includes('json-2')))) as Record<string, unknown>;
    assert.equal(e.status, 503);
    assert.equal(e.flags, 'UF');
    assert.equal(e.responseDuration, null);
  });
});
