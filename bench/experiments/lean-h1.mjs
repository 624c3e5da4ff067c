// Runs the lean-HTTP/1-server experiment: the bare Node proxy (node:http server + undici Pool,
// bench/peers/undici-proxy.mjs) against the same proxy on a `net` server with its own strict parser
// (lean-h1-proxy.mjs), side by side in one run. Prints CPU µs per request and req/s per round and
// the median ratio, then how each answers a set of malformed / smuggling requests.
//   node bench/experiments/lean-h1.mjs [--rounds 3] [--seconds 8]
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { nginxArgv, originConfig, startNginx } from '../lib/nginx.mjs';
import { cpuLayout, cpuSeconds, freePort, pinned, start, stop, waitForPort } from '../lib/procs.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 8);
const here = fileURLToPath(new URL('.', import.meta.url));
const layout = cpuLayout();
const prefix = join(tmpdir(), `wasmgate-lean-h1-${process.pid}`);
mkdirSync(prefix, { recursive: true });

const originPort = await freePort();
const origin = startNginx(pinned(layout.origin, nginxArgv(originConfig(prefix, originPort))));
// Whatever ends this script (an error, a closed stdout pipe), the servers it started go with it.
const children = [origin];
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGTERM'); });
process.stdout.on('error', () => process.exit(1));
await waitForPort(originPort);

const variants = [
  { name: 'node:http server + undici', script: join(here, '..', 'peers', 'undici-proxy.mjs') },
  { name: 'net server, strict parser + undici', script: join(here, 'lean-h1-proxy.mjs') },
];
for (const v of variants) {
  v.port = await freePort();
  v.proc = start(pinned(layout.proxy, [process.execPath, v.script, String(v.port), String(originPort)]));
  children.push(v.proc);
  await waitForPort(v.port, 20_000, v.proc);
  v.rounds = [];
}

function wrk(port, seconds) {
  const r = spawnSync('wrk', ['-t1', '-c32', `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  return { rps: m ? Number(m[1]) : NaN, requests: total ? Number(total[1]) : NaN };
}
for (const v of variants) wrk(v.port, 2); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    const cpu0 = cpuSeconds(v.proc.pid);
    const { rps, requests } = wrk(v.port, SECONDS);
    const cpu = cpuSeconds(v.proc.pid) - cpu0;
    v.rounds.push({ rps, cpuUsPerReq: (cpu * 1e6) / requests, busy: cpu / SECONDS });
  }
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n${ROUNDS} rounds of ${SECONDS} s, wrk -t1 -c32, proxy pinned to CPU ${layout.proxy ?? '(not pinned)'}, nginx origin\n`);
console.log('| variant | req/s (median) | CPU µs/req (median) | rounds: CPU µs/req @ proxy cores busy |');
console.log('|---|--:|--:|---|');
for (const v of variants) {
  console.log(`| ${v.name} | ${median(v.rounds.map((x) => x.rps)).toFixed(0)} | ${median(v.rounds.map((x) => x.cpuUsPerReq)).toFixed(1)} | ${v.rounds.map((x) => `${x.cpuUsPerReq.toFixed(1)} @ ${x.busy.toFixed(2)}`).join(', ')} |`);
}
const ratios = variants[0].rounds.map((a, i) => variants[1].rounds[i].cpuUsPerReq / a.cpuUsPerReq);
console.log(`\nCPU per request, lean / node:http: median ${median(ratios).toFixed(2)}× (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')})`);

// Strictness: what each answers to requests a strict server must refuse.
const PROBES = [
  ['valid GET', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: a\n\n'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
  ['space before colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
  ['CL + TE', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two different CLs', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
  ['TE: gzip, chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
  ['no Host (1.1)', 'GET / HTTP/1.1\r\n\r\n'],
  ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['CL with sign', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\na'],
  ['bad chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n'],
  ['NUL in value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n'],
];
function probe(port, raw) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(raw, 'latin1'));
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    const done = () => resolve(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? (out ? '?' : 'closed'));
    s.on('end', done);
    s.on('error', done);
    s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
  });
}
console.log(`\n| request | ${variants.map((v) => v.name).join(' | ')} |`);
console.log(`|---|${variants.map(() => '--:').join('|')}|`);
for (const [label, raw] of PROBES) {
  const answers = [];
  for (const v of variants) answers.push(await probe(v.port, raw));
  console.log(`| ${label} | ${answers.join(' | ')} |`);
}

for (const v of variants) await stop(v.proc);
await stop(origin);
