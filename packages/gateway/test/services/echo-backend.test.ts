/**
 * The echo backend answers with the request as JSON; requests go through node:http so repeated
 * headers stay separate lines (fetch would join them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createEchoBackend } from '../../src/services/echo-backend.js';
import { freePort } from '../helpers/daemon.js';

interface Reply { status: number; type: string; json: Record<string, unknown> }

/** Raw array headers keep repeats and case but make node:http skip its own Host header. */
function send(port: number, method: string, path: string, headers: string[] | http.OutgoingHttpHeaders, body?: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('echoes method, path, host, headers (repeats as arrays) and a UTF-8 body', async (t) => {
  const echo = await createEchoBackend();
  t.after(() => echo.close());
  assert.equal(echo.host, '127.0.0.1');
  const res = await send(echo.port, 'POST', '/a/b?q=1', ['Host', 'example.test', 'X-Dup', '1', 'X-Single', 's', 'x-dup', '2', 'Content-Length', '6'], Buffer.from('héllo'));
  assert.equal(res.status, 200);
  assert.equal(res.type, 'application/json');
  assert.equal(res.json.method, 'POST');
  assert.equal(res.json.path, '/a/b?q=1');
  assert.equal(res.json.host, 'example.test');
  assert.equal(res.json.body, 'héllo');
  assert.equal(res.json.bodyBase64, undefined);
  const headers = res.json.headers as Record<string, unknown>;
  assert.deepEqual(headers['x-dup'], ['1', '2']);
  assert.equal(headers['x-single'], 's');
  assert.equal(headers['content-length'], '6');
});

test('a body that is not UTF-8 comes back as bodyBase64', async (t) => {
  const echo = await createEchoBackend();
  t.after(() => echo.close());
  const res = await send(echo.port, 'PUT', '/bin', { 'content-length': '3' }, Uint8Array.of(0xff, 0xfe, 0x00));
  assert.equal(res.json.body, undefined);
  assert.equal(res.json.bodyBase64, Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
});

test('listens where told; an empty GET echoes an empty body', async (t) => {
  const port = await freePort();
  const echo = await createEchoBackend({ host: '127.0.0.1', port });
  t.after(() => echo.close());
  assert.equal(echo.port, port);
  const res = await send(port, 'GET', '/', {});
  assert.equal(res.json.body, '');
  assert.equal((res.json.headers as Record<string, unknown>).host, `127.0.0.1:${port}`);
});
