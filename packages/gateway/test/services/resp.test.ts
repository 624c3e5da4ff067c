/**
 * RESP framing on its own: every reply type, split at every byte, and the command check that keeps
 * the Redis connection in step. Pure functions, so no server is needed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespFramer, RespProtocolError, encodeCommand, parseCommand } from '../../src/services/resp.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

/** One sample per type, RESP2 and RESP3, including nulls, nesting and CRLF inside a bulk. */
const SAMPLES = [
  '+OK\r\n',
  '-ERR wrong\r\n',
  ':-42\r\n',
  '$5\r\nhello\r\n',
  '$4\r\na\r\nb\r\n',
  '$0\r\n\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$-1\r\n+x\r\n',
  '_\r\n',
  ',3.14\r\n',
  '#t\r\n',
  '!8\r\nSYNTAX x\r\n',
  '=8\r\ntxt:abcd\r\n',
  '(12345678901234567890\r\n',
  '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n',
  '~2\r\n+x\r\n+y\r\n',
  '|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n',
];

test('each RESP2/RESP3 type is framed as one value, byte for byte', () => {
  for (const sample of SAMPLES) {
    const { values, pushes } = new RespFramer().push(b(sample));
    assert.deepEqual(values.map(s), [sample], sample);
    assert.equal(pushes.length, 0);
  }
});

test('a stream of all samples split at every byte boundary yields the same values in order', () => {
  const all = SAMPLES.join('');
  for (let cut = 1; cut < all.length; cut++) {
    const f = new RespFramer();
    const got = [...f.push(b(all.slice(0, cut))).values, ...f.push(b(all.slice(cut))).values].map(s);
    assert.deepEqual(got, SAMPLES, `cut at ${cut}`);
    assert.equal(f.pending, 0);
  }
  // One byte per push is the worst case for the incremental parser.
  const f = new RespFramer();
  const got: string[] = [];
  for (const byte of b(all)) got.push(...f.push(Uint8Array.of(byte)).values.map(s));
  assert.deepEqual(got, SAMPLES);
});

test('a large bulk reply arriving in many chunks is assembled intact', () => {
  const payload = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
  const wire = Buffer.concat([b(`$${payload.length}\r\n`), payload, b('\r\n:1\r\n')]);
  const f = new RespFramer();
  const got: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i += 65_536) got.push(...f.push(wire.subarray(i, i + 65_536)).values);
  assert.equal(got.length, 2);
  assert.equal(got[0]?.length, wire.length - 4);
  assert.equal(s(got[1] ?? new Uint8Array()), ':1\r\n');
});

test('top-level RESP3 pushes are kept apart from replies', () => {
  const { values, pushes } = new RespFramer().push(b('>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n'));
  assert.deepEqual(values.map(s), ['+OK\r\n']);
  assert.deepEqual(pushes.map(s), ['>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n']);
});

test('garbage is a protocol error, not a hang', () => {
  for (const bad of ['?what\r\n', '$3\r\nabcXY', '$x\r\n', '+OK\rX', '$?\r\n', '*-2\r\n']) {
    assert.throws(() => new RespFramer().push(b(bad)), RespProtocolError, bad);
  }
  assert.throws(() => new RespFramer().push(Buffer.alloc(70_000, 0x2b)), /too long/);
});

test('parseCommand accepts exactly one array of bulk strings', () => {
  const ok = parseCommand(encodeCommand(['SET', 'k', 'a\r\nb']));
  assert.ok(Array.isArray(ok));
  assert.deepEqual(ok.map((x) => x.toString()), ['SET', 'k', 'a\r\nb']);
  const refused: Record<string, string> = {
    'PING\r\n': 'inline command',
    '*0\r\n': 'empty array (Redis sends no reply)',
    '*-1\r\n': 'null array',
    '*2\r\n$3\r\nGET\r\n': 'too few elements',
    '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n': 'two commands',
    '*1\r\n:1\r\n': 'element is not a bulk string',
    '*1\r\n$9\r\nPING\r\n': 'truncated bulk',
    '*1\r\n$-1\r\n': 'null bulk',
    '': 'empty',
  };
  for (const [wire, why] of Object.entries(refused)) assert.equal(typeof parseCommand(b(wire)), 'string', why);
});
