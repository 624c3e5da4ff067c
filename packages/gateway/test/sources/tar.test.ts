import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { baseName, readTar, TarFormatError } from '../../src/plugins/sources/tar-reader.js';
import { writeTar } from '../../src/plugins/sources/tar-writer.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A raw ustar header as GNU tar writes it, for shapes our writer never produces. */
function rawHeader(name: string, size: number, flag: string, prefix = ''): Uint8Array {
  const h = new Uint8Array(512);
  h.set(enc(name).subarray(0, 100), 0);
  h.set(enc('0000644\0'), 100);
  h.set(enc(size.toString(8).padStart(11, '0') + '\0'), 124);
  h.set(enc(flag), 156);
  h.set(enc('ustar  \0'), 257); // GNU magic
  h.set(enc(prefix).subarray(0, 155), 345);
  h.set(enc('        '), 148);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(enc(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

function block(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

describe('tar reader and writer', () => {
  test('round trip, deterministic, with a long name carried by a pax header', () => {
    const long = `${'very-long-directory-name/'.repeat(6)}plugin.wasm`;
    const files = [{ name: 'a.txt', data: enc('hello') }, { name: long, data: new Uint8Array(1000).fill(7) }, { name: 'empty', data: new Uint8Array(0) }];
    const tar = writeTar(files);
    assert.deepEqual(writeTar(files), tar);
    assert.equal(tar.length % 512, 0);
    const entries = readTar(tar);
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.data.length]), [['a.txt', 'file', 5], [long, 'file', 1000], ['empty', 'file', 0]]);
    assert.deepEqual(entries[1]?.data, files[1]?.data);
  });

  test('GNU ././@LongLink names and ustar prefixes', () => {
    const long = `${'x'.repeat(120)}/plugin.wasm`;
    const nameData = enc(`${long}\0`);
    const body = enc('\0asm-ish');
    const tar = concat(
      rawHeader('././@LongLink', nameData.length, 'L'), block(nameData),
      rawHeader(long.slice(0, 100), body.length, '0'), block(body),
      rawHeader('plugin.wasm', 3, '0', 'some/prefix'), block(enc('abc')),
      rawHeader('dir/', 0, '5'),
      new Uint8Array(1024),
    );
    const entries = readTar(tar);
    assert.deepEqual(entries.map((e) => [e.name, e.type]), [[long, 'file'], ['some/prefix/plugin.wasm', 'file'], ['dir/', 'directory']]);
    assert.deepEqual(entries[0]?.data, body);
    assert.equal(baseName(entries[0]?.name ?? ''), 'plugin.wasm');
    assert.equal(baseName('./a/b/'), 'b');
  });

  test('corruption is reported, not misread', () => {
    const tar = writeTar([{ name: 'plugin.wasm', data: enc('x'.repeat(600)) }]);
    const badSum = Uint8Array.from(tar);
    badSum[0] = 0x41;
    assert.throws(() => readTar(badSum), TarFormatError);
    assert.throws(() => readTar(tar.subarray(0, 700)), /truncated/);
    assert.deepEqual(readTar(new Uint8Array(0)), []);
  });
});
