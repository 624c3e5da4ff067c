import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

const POST = (extra: Record<string, string> = {}) => ({ ':method': 'POST', ':path': '/b', ':authority': 'shop.test', ':scheme': 'http', ...extra });

describe('body modes', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('bodies'), { name: 'bodies' }); });
  after(() => plugin.close());

  it('streams: the handler sees each chunk and replaces it', () => {
    const s = plugin.stream();
    s.requestHeaders(POST({ 'content-type': 'text/plain' }));
    const r1 = s.requestBody('ab');
    assert.equal(r1.status, 0);
    s.requestBody('cd', { endStream: true });
    assert.equal(s.upstream.body, 'AB|CD|end');
    s.respond(200, { headers: { 'content-type': 'text/plain' }, body: ['x', 'y'] });
    assert.equal(s.downstream.body, 'X|Y|end');
    s.end();
  });

  it('buffers: returns StopIterationAndBuffer until the end, then gives the whole body', () => {
    const s = plugin.stream();
    s.requestHeaders(POST({ 'content-type': 'text/plain', 'x-body-mode': 'buffer' }));
    assert.equal(s.requestBody('ab').status, 1);
    assert.equal(s.upstream.body, '');
    assert.equal(s.requestBody('cd', { endStream: true }).status, 0);
    assert.equal(s.upstream.body, '[abcd]');
    s.respond(200, { headers: { 'content-type': 'text/plain' }, body: ['x', 'y'] });
    assert.equal(s.downstream.body, '<xy>');
    s.end();
  });

  it('leaves bodies alone after dontReadRequestBody/dontReadResponseBody', () => {
    const s = plugin.stream();
    s.requestHeaders(POST({ 'x-body-mode': 'skip' }));
    s.requestBody('ab', { endStream: true });
    assert.equal(s.upstream.body, 'ab');
    s.respond(200, { body: 'xy' });
    assert.equal(s.downstream.body, 'xy');
    s.end();
  });

  for (const [name, headers] of [
    ['octet-stream', { 'content-type': 'application/octet-stream' }],
    ['grpc', { 'content-type': 'application/grpc' }],
    ['any content-encoding', { 'content-type': 'text/plain', 'content-encoding': 'gzip' }],
    ['websocket', { connection: 'Upgrade', upgrade: 'websocket' }],
  ] as const) {
    it(`skips body handlers for a ${name} request`, () => {
      const s = plugin.stream();
      s.requestHeaders(POST(headers));
      s.requestBody('ab', { endStream: true });
      assert.equal(s.upstream.body, 'ab');
      s.respond(200, { headers: { 'content-type': 'text/plain' }, body: 'xy' });
      assert.equal(s.downstream.headers?.get('x-binary'), name === 'websocket' ? 'no' : 'yes');
      s.end();
    });
  }

  it('skips the response body handler for a binary response', () => {
    const s = plugin.stream();
    s.requestHeaders(POST({ 'content-type': 'text/plain' }), { endStream: true });
    s.respond(200, { headers: { 'content-type': 'application/octet-stream' }, body: 'xy' });
    assert.equal(s.downstream.body, 'xy');
    s.end();
  });
});

describe('headers and context helpers', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('basic'), { name: 'basic', config: { name: 'g' } }); });
  after(() => plugin.close());

  it('adds request and response headers, caches pseudo-headers, keeps per-stream context', () => {
    const s = plugin.stream();
    s.requestHeaders({ ':method': 'GET', ':path': '/p?q=1', ':authority': 'a.test:81', ':scheme': 'http', 'x-request-id': 'rid-1' }, { endStream: true });
    assert.equal(s.upstream.headers?.get('x-config'), 'g');
    assert.equal(s.property('x_request_id'), 'rid-1');
    s.respond(200, { body: 'ok' });
    assert.equal(s.downstream.headers?.get('x-seen'), '/p?q=1');
    assert.equal(s.downstream.headers?.get('x-seen-obj'), '/p?q=1#7');
    assert.equal(s.downstream.headers?.get('x-bug'), undefined);
    assert.ok(s.logs.some((l) => l.message === '[basic] [nil] [rid-1] headers for a.test:81'), JSON.stringify(s.logs));
    s.end();
  });

  it('tags log lines with _plugin_id_ and says whether a body follows', async () => {
    const p = await loadPlugin(await buildPlugin('basic'), { name: 'basic', config: { _plugin_id_: 'pid-1', name: 'g' } });
    const s = p.stream();
    s.requestHeaders({ ':method': 'POST', ':path': '/', ':authority': 'a.test', 'x-request-id': 'r2' });
    s.requestBody('x', { endStream: true });
    assert.equal(s.upstream.headers?.get('x-has-body'), 'yes');
    assert.ok(s.logs.some((l) => l.message === '[basic] [pid-1] [r2] headers for a.test'), JSON.stringify(s.logs));
    s.end();
    const s2 = p.stream();
    s2.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test' }, { endStream: true });
    assert.equal(s2.upstream.headers?.get('x-has-body'), 'no');
    s2.end();
    p.close();
  });

  it('follows the host log level: an info line at host level info, none at warn (the SDK asks before building it)', async () => {
    for (const [level, expected] of [['info', ['[basic] [nil] [r3] headers for a.test']], ['warn', []]] as const) {
      const p = await loadPlugin(await buildPlugin('basic'), { name: 'basic', config: { name: 'g' }, logLevel: level });
      const s = p.stream();
      s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test', 'x-request-id': 'r3' }, { endStream: true });
      assert.equal(s.upstream.headers?.get('x-config'), 'g', 'the plugin ran');
      assert.deepEqual(s.logs.filter((l) => l.message.includes('headers for')).map((l) => l.message), expected, `host level ${level}`);
      s.end();
      p.close();
    }
  });

  it('sends a local reply with headers', async () => {
    const p = await loadPlugin(await buildPlugin('basic'), { config: { name: 'r', mode: 'reply' } });
    const s = p.stream();
    const r = s.requestHeaders({ ':method': 'PUT', ':path': '/', ':authority': 'a.test' }, { endStream: true });
    assert.equal(r.action, 'local-reply');
    assert.equal(s.downstream.status, 200);
    assert.equal(s.downstream.headers?.get('x-method'), 'PUT');
    assert.equal(s.downstream.body, 'config r');
    s.end();
    p.close();
  });

  it('returns header StopIteration as 1 on the Higress ABI', async () => {
    const p = await loadPlugin(await buildPlugin('basic'), { config: { name: 's', mode: 'stop' } });
    const s = p.stream();
    const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'a.test' });
    assert.equal(r.status, 1);
    assert.equal(r.action, 'pause');
    s.end();
    p.close();
  });
});
