/**
 * 50 MB bodies through `wasmgate serve` (a child process, so its memory is the gateway's alone)
 * with headers-bench in the chain: no plugin buffers, so bodies must stream with back-pressure.
 * Bodies are generated chunk by chunk and counted, never held. The receiving side stalls first:
 * a gateway that buffered instead of pushing back would swallow the whole body meanwhile (and grow
 * by 50 MB); a streaming one stops the sender after a few socket buffers' worth. Then the receiver
 * drains and every byte must arrive. The gateway's RSS is sampled from /proc/<pid>/status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { freePort } from '../helpers/daemon.js';
import { spawnCli, type CliServer } from '../helpers/cli.js';
import { Cleanup, HEADERS_BENCH, ingress, listenServer, service, wasmPlugin, writeConfig } from '../helpers/gateway.js';

const MiB = 1024 * 1024;
const TOTAL = 50 * MiB;
const CHUNK = 64 * 1024;
const STALL_MS = 400;
/** What may sit in socket and stream buffers of two loopback connections while the receiver stalls. */
const MAX_IN_FLIGHT = 25 * MiB;
/** Far below the 50 MB that holding one body would cost. */
const MAX_GROWTH = 30 * MiB;

/** A body of `total` bytes made on demand; `pulled()` says how much the consumer has taken so far. */
function generated(total: number): Readable & { pulled(): number } {
  let sent = 0;
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const r = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      this.push(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  });
  return Object.assign(r, { pulled: () => sent });
}

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('50 MB streamed through the gateway with bounded memory', () => {
  const bag = new Cleanup();
  let gw: CliServer;
  let port: number;
  let download: ReturnType<typeof generated> | undefined;
  let onUpload: ((req: http.IncomingMessage) => void) | undefined;
  before(async () => {
    const up = await listenServer(bag, http.createServer((req, res) => {
      if (req.url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
        download = generated(TOTAL);
        return void download.pipe(res);
      }
      let bytes = 0;
      req.on('data', (c: Buffer) => { bytes += c.length; });
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, bench: req.headers['x-bench-0'] ?? null })));
      if (req.url === '/upload') {
        req.pause(); // the test resumes it after the stall
        onUpload?.(req);
      }
    }));
    const dir = writeConfig(bag, [service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend'), wasmPlugin('bench', HEADERS_BENCH)]);
    port = await freePort();
    gw = await spawnCli(bag, ['serve', '--config', dir, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`, '--no-watch'], /wasmgate serving on/);
    // One small exchange first, so lazy start-up allocations are not counted.
    await new Promise<void>((resolve, reject) => {
      http.request({ host: '127.0.0.1', port, method: 'POST', path: '/warm-up', agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end('x'.repeat(CHUNK * 4));
    });
  });
  after(() => bag.run());

  /** Samples the gateway's RSS every 10 ms until `stop()`; reports the peak growth over the start. */
  const sampler = () => {
    const base = gw.memory().rss;
    let peak = base;
    const timer = setInterval(() => { peak = Math.max(peak, gw.memory().rss); }, 10);
    return {
      stop() {
        clearInterval(timer);
        peak = Math.max(peak, gw.memory().rss);
        return { growth: peak - base, text: `${mib(peak - base)} (${mib(base)} → ${mib(peak)})` };
      },
    };
  };

  test('request body: the client is held back while the upstream stalls; then all 50 MB arrive', { timeout: 60_000 }, async (t) => {
    const body = generated(TOTAL);
    const upstreamReq = new Promise<http.IncomingMessage>((r) => { onUpload = r; });
    const mem = sampler();
    let reply = '';
    const done = new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': TOTAL } }, (res) => {
        res.setEncoding('utf8').on('data', (c: string) => { reply += c; });
        res.on('end', resolve);
      });
      req.on('error', reject);
      body.pipe(req);
    });
    const stalledReq = await upstreamReq;
    await sleep(STALL_MS);
    const inFlight = body.pulled();
    const stallMem = mem.stop();
    stalledReq.resume();
    await done;
    const got = JSON.parse(reply) as { bytes: number; bench: string | null };
    t.diagnostic(`in flight during the stall ${mib(inFlight)}; gateway RSS growth ${stallMem.text}`);
    assert.equal(got.bytes, TOTAL);
    assert.equal(got.bench, null, 'headers-bench ran and removed what it added');
    assert.ok(inFlight < MAX_IN_FLIGHT, `the client pushed ${mib(inFlight)} while the upstream read nothing`);
    assert.ok(stallMem.growth < MAX_GROWTH, `gateway RSS grew ${stallMem.text} during the stall`);
  });

  test('response body: the upstream is held back while the client stalls; then all 50 MB arrive', { timeout: 60_000 }, async (t) => {
    const mem = sampler();
    let bytes = 0;
    let res!: http.IncomingMessage;
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/download', agent: false }, (r) => {
        res = r;
        r.pause();
        resolve();
      }).on('error', reject);
    });
    await sleep(STALL_MS);
    const inFlight = download!.pulled();
    const stallMem = mem.stop();
    const whole = sampler();
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', resolve);
      res.on('error', reject);
      res.resume();
    });
    // Reported, not asserted: while data flows, dead socket buffers wait for V8's external-memory GC.
    const streamMem = whole.stop();
    t.diagnostic(`in flight during the stall ${mib(inFlight)}; RSS growth: stall ${stallMem.text}, streaming ${streamMem.text}`);
    assert.equal(bytes, TOTAL);
    assert.ok(inFlight < MAX_IN_FLIGHT, `the upstream pushed ${mib(inFlight)} while the client read nothing`);
    assert.ok(stallMem.growth < MAX_GROWTH, `gateway RSS grew ${stallMem.text} during the stall`);
  });
});
