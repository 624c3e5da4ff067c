/**
 * Issue 10, part 5: `--inspect` and `--break-on`, driven over the Chrome DevTools protocol as a
 * debugger would: connect to the ws:// URL the CLI prints (Node's global WebSocket), enable the
 * Debugger, set a breakpoint in the plugin's Wasm function, send a request, see `Debugger.paused`
 * with a frame naming the function, resume, and see the request answered. Loopback only; every wait
 * is bounded; the processes are killed in after().
 */
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { runCli, spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/daemon.js';
import { fixture, send, service, ingress, wasmPlugin, writeConfig } from '../helpers/gateway.js';

const WASM = fixture('wat/abi-0-2-100.wasm');
const WAIT_MS = 10_000;

interface CdpEvent { readonly method: string; readonly params: Record<string, unknown> }
interface CallFrame { readonly functionName: string; readonly location: { scriptId: string; columnNumber?: number } }

/** A minimal CDP client: commands by id, events kept and awaitable. */
class Cdp {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly events: CdpEvent[] = [];
  readonly #waiters: { pred: (e: CdpEvent) => boolean; resolve: (e: CdpEvent) => void }[] = [];
  #next = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (m.id !== undefined) {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result ?? {});
        return;
      }
      const e = { method: m.method!, params: m.params ?? {} };
      this.events.push(e);
      for (const w of this.#waiters.splice(0)) {
        if (w.pred(e)) w.resolve(e);
        else this.#waiters.push(w);
      }
    };
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await bounded(new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`cannot connect to ${url}`)); }), `connect to ${url}`);
    return new Cdp(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return bounded(new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    }), method);
  }

  /** The first event (already seen or to come) with this method that `pred` accepts. */
  event(method: string, pred: (p: Record<string, unknown>) => boolean = () => true): Promise<CdpEvent> {
    const seen = this.events.find((e) => e.method === method && pred(e.params));
    if (seen) return Promise.resolve(seen);
    return bounded(new Promise((resolve) => this.#waiters.push({ pred: (e) => e.method === method && pred(e.params), resolve })), `event ${method}`);
  }

  close(): void {
    this.#ws.close();
  }
}

function bounded<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms); }),
  ]);
}

/** The ws:// URL the CLI printed. */
function wsUrl(stderr: string): string {
  const m = /debugger \(V8 inspector of the plugin thread\): (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(stderr);
  assert.ok(m, `no ws:// URL on stderr:\n${stderr}`);
  return m[1]!;
}

// ---- a little Wasm reading: where an exported function's code starts ----------------------------

function leb(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++]!;
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [v, at];
  }
}

/** Byte offset (in the module) of the first instruction of export `name`: where DevTools puts a breakpoint on its first line. */
function codeOffsetOf(wasm: Uint8Array, name: string): number | undefined {
  let imported = 0;
  let funcIndex: number | undefined;
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at]!;
    const [size, body] = leb(wasm, at + 1);
    const end = body + size;
    let p = body;
    if (id === 2) { // imports: count the functions
      let n;
      [n, p] = leb(wasm, p);
      for (let i = 0; i < n; i++) {
        let len;
        [len, p] = leb(wasm, p); p += len; // module
        [len, p] = leb(wasm, p); p += len; // field
        const kind = wasm[p++]!;
        if (kind === 0) { [, p] = leb(wasm, p); imported++; }
        else if (kind === 1) { p++; const [flags, q] = leb(wasm, p); [, p] = leb(wasm, q); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 2) { const [flags, q] = leb(wasm, p); [, p] = leb(wasm, q); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 3) { p += 2; }
        else if (kind === 4) { p++; [, p] = leb(wasm, p); }
      }
    } else if (id === 7) { // exports
      let n;
      [n, p] = leb(wasm, p);
      for (let i = 0; i < n; i++) {
        let len;
        [len, p] = leb(wasm, p);
        const field = new TextDecoder().decode(wasm.subarray(p, p + len));
        p += len;
        const kind = wasm[p++]!;
        let index;
        [index, p] = leb(wasm, p);
        if (kind === 0 && field === name) funcIndex = index;
      }
    } else if (id === 10 && funcIndex !== undefined) { // code
      let n;
      [n, p] = leb(wasm, p);
      for (let i = 0; i < n; i++) {
        let size2;
        [size2, p] = leb(wasm, p);
        const next = p + size2;
        if (i === funcIndex - imported) {
          let groups;
          [groups, p] = leb(wasm, p);
          for (let g = 0; g < groups; g++) { [, p] = leb(wasm, p); p++; }
          return p;
        }
        p = next;
      }
    }
    at = end;
  }
  return undefined;
}

/** The data-plane port a `run`/`serve` started with `--listen 127.0.0.1:0` printed. */
function listenPort(cli: { stdout(): string; stderr(): string }): number {
  const m = /(?:wasmgate run: .* on|wasmgate serving on) http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stdout() + cli.stderr());
  assert.ok(m, `no listen address printed:\n${cli.stdout()}\n${cli.stderr()}`);
  return Number(m[1]);
}

describe('wasmgate --inspect (plugin debugging over the DevTools protocol)', () => {
  test('run --inspect: a breakpoint set in the plugin\'s Wasm function pauses the request there; resuming answers it', async (t) => {
    // Port 0, then the port it printed: a port picked free beforehand can be taken meanwhile.
    const cli = await spawnCli(t, ['run', WASM, '--listen', '127.0.0.1:0', '--inspect=127.0.0.1:0'], /wasmgate run: .* on http:\/\//);
    const port = listenPort(cli);
    const err = cli.stderr();
    assert.match(err, /plugin call deadline disabled/);
    const url = wsUrl(err);
    assert.match(err, /devtools:\/\/devtools\/bundled\/js_app\.html\?experiments=true&v8only=true&ws=127\.0\.0\.1:\d+\//);
    // What chrome://inspect reads: the endpoint lists the worker's target with this URL.
    const list = await bounded(fetch(`http://${new URL(url).host}/json/list`).then((r) => r.json() as Promise<{ webSocketDebuggerUrl: string }[]>), 'json/list');
    assert.ok(list.some((x) => x.webSocketDebuggerUrl === url), JSON.stringify(list));

    const cdp = await Cdp.connect(url);
    t.after(() => cdp.close());
    await cdp.send('Debugger.enable');
    // The plugin's module is there as a WebAssembly script; find proxy_on_request_headers in its bytes.
    let target: { scriptId: string; offset: number } | undefined;
    for (const e of cdp.events.filter((x) => x.method === 'Debugger.scriptParsed' && x.params.scriptLanguage === 'WebAssembly')) {
      const src = await cdp.send('Debugger.getScriptSource', { scriptId: e.params.scriptId });
      const offset = codeOffsetOf(Buffer.from(String(src.bytecode), 'base64'), 'proxy_on_request_headers');
      if (offset !== undefined) target = { scriptId: String(e.params.scriptId), offset };
    }
    assert.ok(target, 'no WebAssembly script exporting proxy_on_request_headers');
    // The module runs as built (not rewritten for the deadline), so its DWARF and name sections are intact.
    const source = await cdp.send('Debugger.getScriptSource', { scriptId: target.scriptId });
    assert.ok(Buffer.from(String(source.bytecode), 'base64').equals(readFileSync(WASM)), 'the debugged module is not the plugin as built');
    const bp = await cdp.send('Debugger.setBreakpoint', { location: { scriptId: target.scriptId, lineNumber: 0, columnNumber: target.offset } });
    assert.ok(bp.breakpointId);

    const reply = send(port, { path: '/paused', timeoutMs: WAIT_MS });
    const paused = await cdp.event('Debugger.paused');
    const frames = paused.params.callFrames as CallFrame[];
    assert.equal(frames[0]!.functionName, '$proxy_on_request_headers', JSON.stringify(frames.map((f) => f.functionName)));
    assert.equal(frames[0]!.location.scriptId, target.scriptId);
    assert.deepEqual(paused.params.hitBreakpoints, [bp.breakpointId]);
    // Paused well past the plugin's 1 s call deadline: with --inspect nothing interrupts it.
    await new Promise((r) => setTimeout(r, 1500));
    await cdp.send('Debugger.resume');
    const r = await reply;
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).path, '/paused');
  });

  test('serve --inspect --break-on <plugin>:request_headers pauses on entry to the plugin\'s proxy_on_request_headers', async (t) => {
    const upstream = await freePort();
    // Nothing listens on the upstream port (wasmgate answers 503): what matters is the pause, then
    // that the request completes.
    const dir = writeConfig(t, [service('up', [`127.0.0.1:${upstream}`]), ingress('all', 'up'), wasmPlugin('dbg', WASM)]);
    const cli = await spawnCli(t, ['serve', '--config', dir, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--workers', '3',
      '--inspect=127.0.0.1:0', '--break-on', 'dbg:request_headers', '--no-watch'], /wasmgate serving on .*1 worker\(s\)/);
    const port = listenPort(cli);
    // No debugger attached yet: the armed breakpoint stops nothing.
    assert.equal((await send(port, { path: '/before', timeoutMs: WAIT_MS })).status, 503);
    const cdp = await Cdp.connect(wsUrl(cli.stderr()));
    t.after(() => cdp.close());
    await cdp.send('Debugger.enable');
    const reply = send(port, { path: '/x', timeoutMs: WAIT_MS });
    const paused = await cdp.event('Debugger.paused');
    const frames = paused.params.callFrames as CallFrame[];
    assert.equal(frames[0]!.functionName, '$proxy_on_request_headers', JSON.stringify(frames.map((f) => f.functionName)));
    await cdp.send('Debugger.resume');
    const r = await reply;
    assert.ok(r.status > 0);
    // It stays armed: the next request pauses there too.
    const second = send(port, { path: '/y', timeoutMs: WAIT_MS });
    const again = await cdp.event('Debugger.paused', (p) => p !== paused.params);
    assert.equal((again.params.callFrames as CallFrame[])[0]!.functionName, '$proxy_on_request_headers');
    await cdp.send('Debugger.resume');
    assert.ok((await second).status > 0);
    assert.match(cli.stderr(), /pausing on entry to dbg:proxy_on_request_headers/);
  });

  test('SIGTERM while paused at a breakpoint, debugger still attached: the request is answered and wasmgate exits 0', async (t) => {
    const cli = await spawnCli(t, ['run', WASM, '--listen', '127.0.0.1:0', '--inspect=127.0.0.1:0', '--break-on', 'request_headers'], /wasmgate run: .* on http:\/\//);
    const port = listenPort(cli);
    const cdp = await Cdp.connect(wsUrl(cli.stderr()));
    t.after(() => cdp.close());
    await cdp.send('Debugger.enable');
    const reply = send(port, { path: '/stop', timeoutMs: WAIT_MS });
    await cdp.event('Debugger.paused');
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    cli.child.kill('SIGTERM');
    // The supervisor resumes the paused worker so it can drain, then the worker drops the debugger.
    assert.equal((await reply).status, 200);
    assert.equal(await bounded(exited, 'exit after SIGTERM'), 0);
  });

  test('usage: --break-on needs --inspect, a known phase, and --inspect a [HOST:]PORT; --help lists both', async () => {
    const noInspect = await runCli(['run', WASM, '--break-on', 'request_headers']);
    assert.equal(noInspect.code, 2);
    assert.match(noInspect.stderr, /--break-on needs --inspect/);
    const badPhase = await runCli(['serve', '--config', 'examples/mock-response', '--inspect', '--break-on', 'p:request_header']);
    assert.equal(badPhase.code, 2);
    assert.match(badPhase.stderr, /"request_header" is not a Proxy-Wasm callback/);
    const badAddr = await runCli(['run', WASM, '--inspect=localhost']);
    assert.equal(badAddr.code, 2);
    assert.match(badAddr.stderr, /--inspect takes \[HOST:\]PORT/);
    const help = await runCli(['serve', '--help']);
    assert.match(help.stdout, /--inspect\[=\[HOST:\]PORT\]/);
    assert.match(help.stdout, /--break-on <PLUGIN:PHASE>/);
  });
});
