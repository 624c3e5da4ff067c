/**
 * `--inspect[=[host:]port]` and `--break-on <plugin>:<phase>` of `run` and `serve` (docs/debugging.md):
 * checked here, turned into the Gateway's `inspect` option, and the inspector's URLs printed.
 */
import type { GatewayOptions } from '../gateway.js';
import type { CliIo } from './io.js';
import { usageError, type CommandSpec } from './options.js';

/** The Proxy-Wasm callbacks `--break-on` knows (`proxy_on_<phase>`). */
export const BREAK_PHASES = [
  'request_headers', 'request_body', 'request_trailers', 'response_headers', 'response_body', 'response_trailers',
  'log', 'done', 'delete', 'tick', 'http_call_response', 'grpc_receive_initial_metadata', 'grpc_receive', 'grpc_receive_trailing_metadata', 'grpc_close', 'redis_call_response', 'queue_ready',
  'context_create', 'vm_start', 'configure', 'foreign_function', 'new_connection', 'downstream_data', 'upstream_data',
] as const;

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 9229;

/** `--inspect` (true), `--inspect=9229`, `--inspect=0.0.0.0:9229`, `--inspect=[::1]:0`. */
export function parseInspect(spec: CommandSpec, given: unknown): { host: string; port: number } | undefined {
  if (given === undefined || given === false) return undefined;
  if (given === true) return { host: DEFAULT_HOST, port: DEFAULT_PORT };
  const text = String(given);
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw usageError(spec, `--inspect takes [HOST:]PORT, as in --inspect=9229 or --inspect=127.0.0.1:0, not "${text}"`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? DEFAULT_HOST, port };
}

/**
 * `--break-on` values as {plugin, export}. `onlyPlugin` (run): the one plugin, so `PHASE` alone
 * is enough and any plugin name given refers to it.
 */
export function parseBreakOn(spec: CommandSpec, given: unknown, inspecting: boolean, onlyPlugin?: string): { plugin: string; export: string }[] {
  const list = Array.isArray(given) ? (given as string[]) : [];
  if (list.length > 0 && !inspecting) throw usageError(spec, '--break-on needs --inspect (it pauses in an attached debugger)');
  return list.map((v) => {
    const colon = v.lastIndexOf(':');
    const plugin = colon < 0 ? onlyPlugin : onlyPlugin ?? v.slice(0, colon);
    const phase = (colon < 0 ? v : v.slice(colon + 1)).replace(/^proxy_on_/, '');
    if (!plugin) throw usageError(spec, `--break-on takes PLUGIN:PHASE (a WasmPlugin name or namespace/name, and a callback), as in --break-on my-plugin:request_headers, not "${v}"`);
    if (!(BREAK_PHASES as readonly string[]).includes(phase)) {
      throw usageError(spec, `--break-on: "${phase}" is not a Proxy-Wasm callback; use one of ${BREAK_PHASES.join(', ')}`);
    }
    return { plugin, export: `proxy_on_${phase}` };
  });
}

/** The Gateway's `inspect` option; prints each worker's ws:// and devtools:// URLs on stderr. */
export function gatewayInspect(io: CliIo, at: { host: string; port: number }, breakOn: { plugin: string; export: string }[]): GatewayOptions['inspect'] {
  return {
    ...at, breakOn,
    onUrl: (url) => {
      io.err(`wasmgate: debugger (V8 inspector of the plugin thread): ${url}`);
      io.err(`wasmgate: Chrome DevTools: ${devtoolsUrl(url)}   (or chrome://inspect, "Configure…" ${new URL(url).host})`);
    },
  };
}

/** A warning for each `--break-on` plugin that names none of `keys` (`namespace/name`). */
export function breakOnMisses(breakOn: readonly { plugin: string }[], keys: readonly string[]): string[] {
  const named = (p: string) => keys.some((k) => p === k || p === k.slice(k.indexOf('/') + 1));
  return [...new Set(breakOn.map((b) => b.plugin))].filter((p) => !named(p))
    .map((p) => `wasmgate: --break-on ${p}: no plugin of that name is loaded (${keys.join(', ') || 'none'}); it will apply if a reload adds one`);
}

/** The line printed when --inspect is on: one worker, no call deadline. */
export function inspectNotice(breakOn: { plugin: string; export: string }[]): string {
  const b = breakOn.length ? `; pausing on entry to ${breakOn.map((x) => `${x.plugin}:${x.export}`).join(', ')} while a debugger is attached` : '';
  return `wasmgate: --inspect: one worker thread; plugins run as built (DWARF and names kept): plugin call deadline disabled (a plugin paused at a breakpoint is not interrupted), no memory cap${b}`;
}

/** `devtools://devtools/bundled/js_app.html?…&ws=host:port/id`, the URL Node prints for --inspect. */
export function devtoolsUrl(wsUrl: string): string {
  return `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${wsUrl.replace(/^ws:\/\//, '')}`;
}
