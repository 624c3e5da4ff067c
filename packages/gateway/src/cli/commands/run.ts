/**
 * `wasmgate run <plugin.wasm> [--config JSON|YAML|@file] [--upstream URL] [--listen HOST:PORT] [--admin HOST:PORT] [--fail-open]`
 * (options and usage: `../specs.ts`, RUN). The one-plugin quickstart: the plugin on every request,
 * forwarding to the upstream or, without one, to a built-in echo backend that answers with the
 * request it received as JSON. It writes the equivalent manifests to a temp folder and serves them,
 * so `run` behaves exactly like `serve`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import { parse as parseYaml } from 'yaml';
import { Gateway } from '../../gateway.js';
import { createLogger } from '../../logger.js';
import { createEchoBackend } from '../../services/echo-backend.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { RUN } from '../specs.js';
import { gatewayInspect, inspectNotice, parseBreakOn, parseInspect } from '../inspect-flags.js';

/**
 * The plugin configuration from `--config`: inline or `@file`, JSON or YAML (JSON is YAML, so one
 * parser reads both; Higress READMEs give plugin configuration as YAML). It must be a mapping.
 */
export function parsePluginConfig(given: string | undefined, cwd: string): Record<string, unknown> | undefined {
  if (given === undefined) return undefined;
  let text = given;
  let from = '--config';
  if (given.startsWith('@')) {
    const file = resolve(cwd, given.slice(1));
    from = `--config ${given}`;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new WasmgateError('WG_CLI_FILE', `cannot read ${given.slice(1)}: ${(e as Error).message}`, { exit: 2 });
    }
  }
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    throw usageError(RUN, `${from} is not valid JSON or YAML: ${(e as Error).message.split('\n')[0]} (e.g. --config '{"content":"hello"}', --config 'content: hello' or --config @config.yaml)`);
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw usageError(RUN, `${from} must be a mapping (a JSON object or YAML keys), got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  let values: { config?: string; upstream?: string; listen?: string; admin?: string; 'fail-open'?: boolean };
  let wasm: string;
  let configObj: Record<string, unknown> | undefined;
  let upstream: URL | undefined;
  let inspect: { host: string; port: number } | undefined;
  let breakOn: { plugin: string; export: string }[];
  try {
    const parsed = parseCommand(RUN, args);
    if (parsed.help) {
      io.out(usageText(RUN));
      return 0;
    }
    values = parsed.values as typeof values;
    wasm = parsed.positionals[0]!;
    configObj = parsePluginConfig(values.config, io.cwd);
    inspect = parseInspect(RUN, parsed.values.inspect);
    breakOn = parseBreakOn(RUN, parsed.values['break-on'], inspect !== undefined, 'default/plugin');
    if (values.upstream !== undefined) {
      upstream = URL.canParse(values.upstream) ? new URL(values.upstream) : undefined;
      if (!upstream || (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') || upstream.hostname === '') {
        throw usageError(RUN, `--upstream must be an http:// or https:// URL, not "${values.upstream}"`);
      }
    }
    // Checked here so the error names the file as typed, not the temp manifest run writes.
    let isFile = false;
    try {
      isFile = statSync(resolve(io.cwd, wasm)).isFile();
    } catch (e) {
      throw new WasmgateError('WG_CLI_FILE', `cannot read ${wasm}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { exit: 2 });
    }
    if (!isFile) throw new WasmgateError('WG_CLI_FILE', `cannot read ${wasm}: not a file`, { exit: 2 });
  } catch (e) {
    return renderError(io, e);
  }
  const echo = upstream ? undefined : await createEchoBackend();
  const up = upstream ?? new URL(`http://${echo!.host}:${echo!.port}`);
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-run-'));
  const manifest = [
    { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', metadata: { name: 'upstream', namespace: 'default' }, spec: { endpoints: [`${up.hostname}:${up.port || (up.protocol === 'https:' ? 443 : 80)}`], tls: up.protocol === 'https:' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'all', namespace: 'default' }, spec: { defaultBackend: { service: { name: 'upstream', port: { number: Number(up.port) || 80 } } } } },
    {
      apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'plugin', namespace: 'default' },
      spec: { url: `file://${resolve(io.cwd, wasm)}`, failStrategy: values['fail-open'] ? 'FAIL_OPEN' : 'FAIL_CLOSE', ...(configObj !== undefined ? { defaultConfig: configObj } : {}) },
    },
  ];
  // JSON is valid YAML: one document per file keeps the generated config trivially correct.
  manifest.forEach((m, i) => writeFileSync(join(dir, `${i}.yaml`), JSON.stringify(m, null, 2)));
  const logger = createLogger((l) => io.err(l));
  if (inspect) io.err(inspectNotice(breakOn));
  try {
    const gw = await Gateway.start({
      configPaths: [dir], logger, watch: false, accessLog: (l) => io.out(l),
      ...(inspect ? { inspect: gatewayInspect(io, inspect, breakOn) } : {}),
      overrides: { listen: values.listen ?? '127.0.0.1:8080', admin: values.admin ?? '127.0.0.1:0' },
    });
    const a = gw.address;
    io.err(`wasmgate run: ${wasm} on http://${a.address}:${a.port} → ${echo ? 'built-in echo backend' : up.href}`);
    await io.stopSignal;
    await gw.close();
    return 0;
  } catch (e) {
    return renderError(io, e);
  } finally {
    await echo?.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
