// The author's inner loop: how long from saving a source file until the gateway answers with the
// new build, under `wasmgate dev`, for the AssemblyScript project `wasmgate init` makes. Each edit
// changes the header value the plugin adds; a client polls the gateway (one request at a time, keep-alive)
// until the answer shows the new value. Prints, over N edits, median and p90 of:
//   save → served   (client-observed: writeFile to the first answer with the new value)
//   build           (what dev reports for the compile)
//   reload          (dev: from the end of the build until every worker serves the new generation)
//   node bench/dev-loop.mjs            (10 edits)
//   node bench/dev-loop.mjs --edits 30 --debounce 30
//   node bench/dev-loop.mjs --release   (dev --release: asc -O3 rebuilds, as wasmgate build)
// Needs the SDK built (npx tsc -b) and npm's cache warm enough for npm install --prefer-offline.
// Loopback only; the project lives in a temp folder that is removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/fixtures.mjs';

const { values: args } = parseArgs({ options: { edits: { type: 'string', default: '10' }, debounce: { type: 'string', default: '60' }, release: { type: 'boolean', default: false } } });
const EDITS = Number(args.edits);
const CLI = join(REPO_ROOT, 'packages/gateway/bin/wasmgate.js');
const { NODE_TEST_CONTEXT: _, ...baseEnv } = process.env;
const env = { ...baseEnv, PATH: `${dirname(process.execPath)}${delimiter}${baseEnv.PATH ?? ''}` };
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-dev-loop-'));
const project = join(dir, 'bench-plugin');

function must(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status})\n${r.stdout}\n${r.stderr}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function hello(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => {
        try { resolve(JSON.parse(body).headers['x-hello']); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
  });
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

let dev;
try {
  must(process.execPath, [CLI, 'init', project, '--no-install'], dir);
  must('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project);
  dev = spawn(process.execPath, [CLI, 'dev', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--debounce', args.debounce, ...(args.release ? ['--release'] : [])], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let rest = '';
  dev.stdout.on('data', (d) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop();
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.splice(0)) w();
    }
  });
  let stderr = '';
  dev.stderr.on('data', (d) => { stderr += d; });
  const waitLine = (re, from) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = lines.slice(from).find((l) => re.test(l));
      if (hit) return resolve(hit);
      if (dev.exitCode !== null) return reject(new Error(`dev exited\n${stderr}`));
      waiters.push(check);
    };
    check();
  });
  const serving = await waitLine(/^dev: serving http:\/\/127\.0\.0\.1:\d+/, 0);
  const port = Number(/:(\d+) /.exec(serving)[1]);
  const src = join(project, 'assembly', 'index.ts');
  const original = readFileSync(src, 'utf8');
  if (!original.includes('ctx.addRequestHeader(config.header, config.value);')) throw new Error(`${src} no longer has the line the benchmark edits`);
  const rows = [];
  for (let i = 1; i <= EDITS; i++) {
    const value = `edit ${i}`;
    const from = lines.length;
    const t0 = performance.now();
    writeFileSync(src, original.replace('ctx.addRequestHeader(config.header, config.value);', `ctx.addRequestHeader(config.header, config.value + " (${value})");`));
    // Poll (every 5 ms, so the poller does not compete with the compiler for the CPU) until the
    // answer carries the new value: that is when the save is served.
    let seen;
    for (;;) {
      seen = await hello(port);
      if (seen?.endsWith(`(${value})`)) break;
      if (performance.now() - t0 > 120_000) throw new Error(`edit ${i} not served within 120 s (last answer: ${seen})\n${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const served = performance.now() - t0;
    const line = await waitLine(/changed: rebuilt in \d+ ms, serving generation/, from);
    const [, build, reload, total] = /rebuilt in (\d+) ms, serving generation \d+ (\d+) ms later \(save → served (\d+) ms\)/.exec(line);
    rows.push({ served, build: Number(build), reload: Number(reload), total: Number(total) });
    process.stdout.write(`edit ${String(i).padStart(2)}: save → served ${served.toFixed(0).padStart(5)} ms   (dev: build ${build} ms, reload ${reload} ms, total ${total} ms)\n`);
  }
  const show = (name, key) => `${name.padEnd(16)} median ${quantile(rows.map((r) => r[key]), 0.5).toFixed(0).padStart(5)} ms   p90 ${quantile(rows.map((r) => r[key]), 0.9).toFixed(0).padStart(5)} ms`;
  console.log(`\nwasmgate dev${args.release ? ' --release' : ''}, AssemblyScript template, ${EDITS} edits, debounce ${args.debounce} ms, 1 worker:`);
  console.log(show('save → served', 'served'));
  console.log(show(args.release ? 'build (asc -O3)' : 'build (unoptimised)', 'build'));
  console.log(show('reload', 'reload'));
} finally {
  agent.destroy();
  if (dev && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once('exit', r));
    dev.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
