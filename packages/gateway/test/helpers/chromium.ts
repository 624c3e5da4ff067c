/**
 * Headless Chromium driven over the DevTools protocol (Node's built-in WebSocket; no browser
 * download, no npm dependency). Tests that need it call `findChromium()`: where no Chromium is
 * installed they skip — except under CI (CI=true), where .ci/run installs it and its absence fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AfterHook } from './gateway.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium executable (`$CHROMIUM` first), or a skip message; throws under CI when there is none. */
export function findChromium(): { path: string } | { skip: string } {
  const path = [process.env.CHROMIUM, ...CANDIDATES].find((p): p is string => !!p && existsSync(p));
  if (path) return { path };
  const msg = `no Chromium installed (looked for $CHROMIUM, ${CANDIDATES.join(', ')}); install it (apt-get install chromium) to run the dashboard browser test`;
  if (process.env.CI === 'true') throw new Error(`${msg}; under CI .ci/run must install it`);
  return { skip: msg };
}

export interface Page {
  /** Loads `url` and waits for its load event. */
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page (promises awaited); its value as JSON. */
  eval<T>(expression: string): Promise<T>;
  /** A PNG of the viewport. */
  screenshot(): Promise<Buffer>;
}

/** Starts headless Chromium with one page of `width`×`height`; closed by `hook`. */
export async function launchPage(hook: AfterHook, executable: string, width = 1280, height = 900): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'wasmgate-chromium-'));
  const proc: ChildProcess = spawn(executable, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--hide-scrollbars', '--mute-audio',
    `--user-data-dir=${profile}`, '--remote-debugging-port=0', `--window-size=${width},${height}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  hook.after(async () => {
    if (proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone;
    }
    rmSync(profile, { recursive: true, force: true });
  });
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 20 s:\n${err}`)), 20_000);
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}):\n${err}`)); });
  });

  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`cannot connect to ${wsUrl}`)); });
  hook.after(() => ws.close());
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const events: { method: string; sessionId?: string }[] = [];
  const listeners = new Set<() => void>();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; sessionId?: string };
    if (m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error.message));
      else w?.resolve(m.result);
    } else if (m.method) {
      events.push({ method: m.method, ...(m.sessionId ? { sessionId: m.sessionId } : {}) });
      for (const l of listeners) l();
    }
  };
  const call = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  });
  const event = (method: string, sessionId: string, timeoutMs = 15_000) => new Promise<void>((resolve, reject) => {
    const check = () => {
      const i = events.findIndex((e) => e.method === method && e.sessionId === sessionId);
      if (i < 0) return false;
      events.splice(i, 1);
      listeners.delete(check);
      clearTimeout(timer);
      resolve();
      return true;
    };
    const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`no ${method} within ${timeoutMs} ms`)); }, timeoutMs);
    if (!check()) listeners.add(check);
  });

  const { targetId } = await call('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await call('Target.attachToTarget', { targetId, flatten: true });
  await call('Page.enable', {}, sessionId);
  await call('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
  return {
    async goto(url) {
      events.length = 0;
      const loaded = event('Page.loadEventFired', sessionId);
      const r = await call('Page.navigate', { url }, sessionId);
      if (r.errorText) throw new Error(`navigating to ${url}: ${r.errorText}`);
      await loaded;
    },
    async eval<T>(expression: string): Promise<T> {
      const r = await call('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
      if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    async screenshot() {
      const r = await call('Page.captureScreenshot', { format: 'png' }, sessionId);
      return Buffer.from(r.data as string, 'base64');
    },
  };
}
