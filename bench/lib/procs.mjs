// Process helpers: spawn pinned servers, wait for ports, read CPU time and RSS from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus } from 'node:os';

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const HAS_TASKSET = spawnSync('taskset', ['-V']).status === 0;
const HAS_CHRT = spawnSync('chrt', ['-V']).status === 0;

/**
 * Which CPUs each role gets. The proxy under test always has a core of its own; the origin and the
 * load generator share what is left (on a 2-core machine, the other core). `proxy2` is for a proxy
 * with two workers: the last two CPUs, so it shares one of them with the load generator (and, on 2
 * cores, with the origin too).
 */
export function cpuLayout() {
  const n = cpus().length;
  if (!HAS_TASKSET || n < 2) return { cores: n, pinned: false, proxy: undefined, proxy2: undefined, origin: undefined, load: undefined };
  if (n === 2) return { cores: n, pinned: true, proxy: '1', proxy2: '0-1', origin: '0', load: '0' };
  return { cores: n, pinned: true, proxy: String(n - 1), proxy2: `${n - 2}-${n - 1}`, origin: '0', load: n > 3 ? `1-${n - 2}` : '1' };
}

const IS_ROOT = process.getuid?.() === 0;

/**
 * argv prefixed with taskset when pinning is possible, and with `nice -n -10` when we may raise
 * priority (root): the machine may be shared, and the processes under measurement should not wait
 * behind unrelated work on their CPU.
 */
export function pinned(cpuList, argv) {
  const pin = cpuList !== undefined && HAS_TASKSET ? ['taskset', '-c', cpuList, ...argv] : argv;
  return IS_ROOT ? ['nice', '-n', '-10', ...pin] : pin;
}

export function start(argv, opts = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  return child;
}

export function waitForPort(port, timeoutMs = 20_000, child) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child && child.exitCode !== null) return reject(new Error(`process exited (${child.exitCode}): ${child.output.slice(-2000)}`));
      const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(); });
      s.on('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms${child ? `: ${child.output.slice(-2000)}` : ''}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function stop(child, timeoutMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/** pid and its descendants (nginx master → workers). */
export function family(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const walk = (p) => { out.push(p); for (const c of children.get(p) ?? []) walk(c); };
  walk(pid);
  return out;
}

/**
 * CPU seconds (user + system) used so far by pid and its descendants. /proc/<pid>/stat of a process
 * counts all its threads (wasmgate's worker threads included), nginx's workers are descendants.
 */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of family(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS;
}

/**
 * argv run under a shell that, once the command has exited, writes the CPU time it used (its
 * waited-for children's user + system ticks, from /proc/<shell>/stat) as the last line of stderr.
 * For a command run with spawnSync, whose CPU time cannot be read while it runs. childCpuSeconds()
 * reads it back (NaN when missing).
 */
export function measuringCpu(argv) {
  return ['sh', '-c', '"$@"; s=$?; set -- $(cut -d" " -f16,17 /proc/$$/stat); echo "cpu_ticks $(($1 + $2))" >&2; exit $s', 'sh', ...argv];
}

export function childCpuSeconds(stderr) {
  const m = /cpu_ticks (\d+)\s*$/.exec(stderr ?? '');
  return m ? Number(m[1]) / TICKS : NaN;
}

/** Resident set size (and its peak) in MiB, summed over pid and its descendants. */
export function memory(pid) {
  let rss = 0;
  let hwm = 0;
  for (const p of family(pid)) {
    try {
      const s = readFileSync(`/proc/${p}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { rssMiB: Math.round(rss / 102.4) / 10, peakMiB: Math.round(hwm / 102.4) / 10 };
}

export function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds all CPUs spent busy (not idle or iowait) since boot, from /proc/stat. */
export function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / TICKS;
}

/** Runs argv to completion without blocking the event loop; resolves with its stdout. */
export function runAsync(argv, timeoutMs = 300_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/**
 * Keeps every CPU from going idle with one SCHED_IDLE busy loop per CPU: such a task runs only
 * when nothing else wants the CPU and yields at once when something does. On a virtual machine an
 * idle vCPU halts, and the first request after a halt runs about twice as slow (caches, TLBs and
 * predictors went cold meanwhile; see docs/performance.md), which at a low fixed rate is every
 * request. Returns the started processes (stop them with stop()); none without chrt.
 */
export function startIdleSpinners(cpuCount) {
  if (!HAS_CHRT) return [];
  const out = [];
  for (let c = 0; c < cpuCount; c++) {
    const argv = ['chrt', '-i', '0', ...(HAS_TASKSET ? ['taskset', '-c', String(c)] : []), 'sh', '-c', 'while :; do :; done'];
    out.push(start(argv));
  }
  return out;
}

/**
 * A TCP port free right now on 127.0.0.1: bind port 0, read what the kernel chose, close. Every
 * server the bench starts gets one, so two runs at once cannot share ports (there is a small window
 * between close and the server's bind; waitForPort/`GET /check` would notice a stranger).
 */
/** The kernel's ephemeral port range [lo, hi], or undefined when it cannot be read. */
function ephemeralRange() {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return lo && hi ? [lo, hi] : undefined;
  } catch {
    return undefined;
  }
}

const handedOut = new Set();

function canBind(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port on 127.0.0.1 for a server started later, taken below the kernel's ephemeral range
 * when there is room: a port the OS picked for `bind(0)` could be handed to someone else's `bind(0)`
 * before our server binds it (every `wasmgate serve` binds its echo backend that way, and one did
 * take a gateway's port in a full run). Elsewhere the OS picks.
 */
export async function freePort() {
  const range = ephemeralRange();
  const low = 10_000;
  if (range && range[0] - low >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + Math.floor(Math.random() * (range[0] - low));
      if (handedOut.has(port) || !(await canBind(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
