/**
 * RedisClient failure paths a real redis-server cannot be made to produce on demand: a reply cut
 * into separate TCP segments, a server that accepts and never answers, and no server at all.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { RedisCallError, RedisClient } from '../../src/services/redis-client.js';
import { encodeCommand } from '../../src/services/resp.js';
import { freePort } from '../helpers/daemon.js';

const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
const PING = encodeCommand(['PING']);

/** A TCP server on 127.0.0.1:0 whose `onData` decides what each connection hears back. */
async function fakeServer(t: TestContext, onData: (sock: Socket, index: number, data: Buffer) => void): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    const index = sockets.push(sock) - 1;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => onData(sock, index, d));
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, sockets };
}

/** Resolves after the event loop has had a turn, so the client side can read what was just sent. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a reply split across TCP segments is reassembled, and the next reply still lines up', async (t) => {
  // A fake is justified here: redis-server chooses its own write sizes, so only a scripted server
  // can put segment boundaries inside a length line, inside a bulk payload and between CR and LF.
  const reply = '*3\r\n$5\r\nhel\r\n\r\n:42\r\n*1\r\n$-1\r\n';
  const cuts = [1, 3, 6, 10, 13, 14, 18, 22, 26];
  const sendSplit = async (sock: Socket): Promise<void> => {
    let from = 0;
    for (const cut of [...cuts, reply.length]) {
      // Wait for each piece to leave and give the client a turn to read it on its own.
      await new Promise<void>((r) => sock.write(reply.slice(from, cut), 'latin1', () => r()));
      await turn();
      from = cut;
    }
  };
  // Replies go out strictly one after another even when commands arrive in separate reads.
  let queue = Promise.resolve();
  const { port } = await fakeServer(t, (sock, _i, data) => {
    const commands = data.toString('latin1').split('*1\r\n').length - 1;
    for (let n = 0; n < commands; n++) queue = queue.then(() => sendSplit(sock));
  });
  const c = new RedisClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
  t.after(() => c.close());
  assert.equal(text(await c.call(PING)), reply);
  const [a, b] = await Promise.all([c.call(PING), c.call(PING)]);
  assert.equal(text(a ?? new Uint8Array()), reply);
  assert.equal(text(b ?? new Uint8Array()), reply);
});

test('a server that never answers: the call times out, the socket is dropped, the next call reconnects', async (t) => {
  // The first connection swallows everything; later ones answer PONG per command.
  const { port, sockets } = await fakeServer(t, (sock, index, data) => {
    if (index === 0) return;
    const commands = data.toString('latin1').split('*1\r\n').length - 1;
    sock.write('+PONG\r\n'.repeat(commands));
  });
  const c = new RedisClient({ host: '127.0.0.1', port, timeoutMs: 100 });
  t.after(() => c.close());
  const first = c.call(PING);
  const second = c.call(PING);
  await assert.rejects(first, (e: unknown) => e instanceof RedisCallError && e.kind === 'timeout');
  // The second call was already written; its reply could arrive late and be taken for another's.
  await assert.rejects(second, (e: unknown) => e instanceof RedisCallError && e.kind === 'closed');
  const dropped = sockets[0];
  assert.ok(dropped);
  if (!dropped.closed) await once(dropped, 'close');
  assert.equal(text(await c.call(PING)), '+PONG\r\n');
  assert.equal(sockets.length, 2);
});

test('AUTH that is never answered fails the queued calls with kind connect after connectTimeoutMs', async (t) => {
  const { port } = await fakeServer(t, () => {});
  const c = new RedisClient({ host: '127.0.0.1', port, password: 'pw', timeoutMs: 5000, connectTimeoutMs: 100 });
  t.after(() => c.close());
  await assert.rejects(c.call(PING), (e: unknown) => e instanceof RedisCallError && e.kind === 'connect' && /100 ms/.test(e.message));
});

test('a protocol violation from the server fails the calls instead of guessing', async (t) => {
  const { port } = await fakeServer(t, (sock) => sock.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const c = new RedisClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
  t.after(() => c.close());
  await assert.rejects(c.call(PING), (e: unknown) => e instanceof RedisCallError && e.kind === 'closed' && /RESP/.test(e.message));
});

test('nothing listening: the call rejects with kind connect', async (t) => {
  const port = await freePort();
  const c = new RedisClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
  t.after(() => c.close());
  await assert.rejects(c.call(PING), (e: unknown) => e instanceof RedisCallError && e.kind === 'connect' && /ECONNREFUSED/.test(e.message));
});
