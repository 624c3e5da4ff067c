// Open-loop, fixed-rate HTTP/1.1 load generator over keep-alive connections (wrk has no fixed
// rate, and wrk2 is not packaged). Request k is due at start + k/rate whatever happened to the
// earlier ones; it goes out on any idle connection. Two latencies are recorded per request:
//   service   from the moment it was written to the last byte of the response;
//   corrected from the moment it was due (coordinated-omission corrected: includes any wait for
//             an idle connection or for the generator's own timer).
// Run as a child process (pinned by the caller):
//   node loadgen.mjs '{"port":8080,"rate":1000,"durationMs":8000,"warmupMs":2000}'
// It prints one JSON object: counts, percentiles in µs, and both histograms.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.mjs';

const DEFAULTS = { host: '127.0.0.1', port: 8080, path: '/', rate: 1000, durationMs: 5000, warmupMs: 1000, connections: 64, drainMs: 2000 };

export async function runLoad(options) {
  const o = { ...DEFAULTS, ...options };
  const request = Buffer.from(`GET ${o.path} HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: wasmgate-bench\r\nAccept: */*\r\n\r\n`);
  const service = new Histogram();
  const corrected = new Histogram();
  const stats = { sent: 0, ok: 0, non2xx: 0, errors: 0, measured: 0, late: 0 };
  const idle = [];
  const backlog = []; // due times of requests waiting for an idle connection
  const conns = [];
  const start = performance.now() + 50;
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  const interval = 1000 / o.rate;

  const complete = (c, status) => {
    const now = performance.now();
    if (c.due >= measureFrom && c.due < end) {
      stats.measured++;
      service.record((now - c.sentAt) * 1e6);
      corrected.record((now - c.due) * 1e6);
    }
    if (status >= 200 && status < 300) stats.ok++;
    else stats.non2xx++;
    c.busy = false;
    if (backlog.length > 0) send(c, backlog.shift());
    else idle.push(c);
  };

  const send = (c, due) => {
    c.busy = true;
    c.due = due;
    c.sentAt = performance.now();
    stats.sent++;
    c.socket.write(request);
  };

  await Promise.all(Array.from({ length: o.connections }, () => new Promise((resolve, reject) => {
    const c = { socket: undefined, busy: false, due: 0, sentAt: 0, buf: Buffer.alloc(0) };
    c.socket = connect({ host: o.host, port: o.port, noDelay: true }, () => resolve());
    c.socket.on('error', (e) => {
      stats.errors++;
      if (!c.socket.connecting) c.busy = true; // never reuse a broken connection
      reject(e);
    });
    c.socket.on('data', (chunk) => {
      c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
      for (;;) {
        const status = parseResponse(c);
        if (status === 0) break;
        complete(c, status);
      }
    });
    conns.push(c);
    idle.push(c);
  })));

  await new Promise((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < Infinity) {
        const due = start + k * interval;
        if (due > now || due >= end) break;
        k++;
        if (now - due > 1) stats.late++;
        const c = idle.pop();
        if (c) send(c, due);
        else backlog.push(due);
      }
      if (start + k * interval >= end) return resolve();
      setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  const drainUntil = performance.now() + o.drainMs;
  while (conns.some((c) => c.busy) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const unanswered = conns.filter((c) => c.busy).length + backlog.length;
  for (const c of conns) c.socket.destroy();

  const us = (h, p) => Math.round(h.percentile(p) / 10) / 100;
  return {
    rate: o.rate, durationMs: o.durationMs, connections: o.connections,
    ...stats, unanswered,
    achievedRate: Math.round(stats.measured / (o.durationMs / 1000)),
    service_us: { p50: us(service, 50), p90: us(service, 90), p99: us(service, 99), p999: us(service, 99.9), max: Math.round(service.max / 1000), mean: Math.round(service.mean / 10) / 100 },
    corrected_us: { p50: us(corrected, 50), p99: us(corrected, 99), p999: us(corrected, 99.9), max: Math.round(corrected.max / 1000) },
    histograms: { service: service.toJSON(), corrected: corrected.toJSON() },
  };
}

/** Parses one complete response off c.buf: its status, or 0 when more bytes are needed. */
function parseResponse(c) {
  const buf = c.buf;
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return 0;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  let total;
  if (cl) total = headEnd + 4 + Number(cl[1]);
  else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const last = buf.indexOf('0\r\n\r\n', headEnd + 4);
    if (last < 0) return 0;
    total = last + 5;
  } else total = headEnd + 4;
  if (buf.length < total) return 0;
  c.buf = buf.subarray(total);
  return status || 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runLoad(JSON.parse(process.argv[2] ?? '{}'));
  const cpu = process.cpuUsage();
  result.selfCpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
