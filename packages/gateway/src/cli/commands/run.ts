/**
 * `wasmgate run <plugin.wasm> [--config JSON|@file] [--upstream URL] [--listen HOST:PORT] [--admin HOST:PORT]`
 * The one-plugin quickstart: the plugin on every request, forwarding to the upstream or, without
 * one, to a built-in echo backend that answers with the request it received as JSON. It writes the
 * equivalent manifests to a temp folder and serves them, so `run` behaves exactly like `serve`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Gateway } from '../../gateway.js';
import { createLogger } from '../../logger.js';
import { createEchoBackend } from '../../services/echo-backend.js';
import type { CliIo, CommandRunner } from '../io.js';
import { renderError } from '../render-error.js';

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, upstream: { type: 'string' }, listen: { type: 'string' }, admin: { type: 'string' }, 'fail-open': { type: 'boolean' } } });
  } catch (e) {
    io.err(`error WG_CLI_USAGE: ${(e as Error).message}`);
    return 2;
  }
  const wasm = parsed.positionals[0];
  if (!wasm) {
    io.err('usage: wasmgate run <plugin.wasm> [--config JSON|@file] [--upstream URL] [--listen HOST:PORT]');
    return 2;
  }
  const { values } = parsed;
  let configText = values.config ?? '';
  if (configText.startsWith('@')) configText = readFileSync(resolve(io.cwd, configText.slice(1)), 'utf8');
  let configObj: unknown = undefined;
  if (configText.trim()) {
    try {
      configObj = JSON.parse(configText);
    } catch (e) {
      io.err(`error WG_CLI_USAGE: --config is not valid JSON: ${(e as Error).message}\nhint: pass a JSON object, e.g. --config '{"content":"hello"}', or @file.json`);
      return 2;
    }
  }
  const echo = values.upstream ? undefined : await createEchoBackend();
  const up = values.upstream ? new URL(values.upstream) : new URL(`http://${echo!.host}:${echo!.port}`);
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
  try {
    const gw = await Gateway.start({
      configPaths: [dir], logger, watch: false, accessLog: (l) => io.out(l),
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
