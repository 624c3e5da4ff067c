/**
 * Every command's options and usage, as data (see `options.ts`). Kept apart from the commands so
 * that `wasmgate --help` lists them without loading any command's code.
 * @module
 */
import type { CommandSpec } from './options.js';

const LISTEN = { name: 'listen', type: 'string', arg: 'HOST:PORT' } as const;
const ADMIN = { name: 'admin', type: 'string', arg: 'HOST:PORT' } as const;
const INSPECT_OPT = {
  name: 'inspect', type: 'string', optionalValue: true, arg: '[HOST:]PORT',
  help: 'debug plugins: one worker, V8 inspector on its thread (default 127.0.0.1:9229), no call deadline or memory cap',
} as const;
const BREAK_ON = {
  name: 'break-on', type: 'string', multiple: true, arg: 'PLUGIN:PHASE',
  help: 'with --inspect: pause in the plugin\'s proxy_on_PHASE (request_headers, response_body, log, tick, …)',
} as const;
const CONFIG_PATHS = {
  name: 'config', short: 'c', type: 'string', multiple: true, arg: 'file|dir',
  help: 'a manifest file, or a folder of *.yaml/*.yml/*.json manifests',
} as const;

export const SERVE: CommandSpec = {
  name: 'serve',
  summary: 'Serve traffic as Ingress + WasmPlugin manifests say (a broken config is refused with the validate report).',
  synopsis: '--config <file|dir> [--config …] [options]',
  positionals: { min: 0, max: 0, name: 'no arguments' },
  options: [
    { ...CONFIG_PATHS, required: true },
    { ...LISTEN, help: 'data-plane address (default: the Gateway manifest\'s, else 127.0.0.1:8080)' },
    { name: 'listen-tls', type: 'string', arg: 'HOST:PORT', help: 'HTTPS data-plane address, HTTP/2 and HTTP/1.1 (default: the Gateway manifest\'s listenTls, else none)' },
    { ...ADMIN, help: 'admin address: /ready, /config_dump, /metrics, POST /reload (default 127.0.0.1:15000)' },
    { name: 'workers', type: 'string', arg: 'N', help: 'data-plane worker threads, 1 to 256 (default: the Gateway manifest\'s, else one per CPU)' },
    { name: 'access-log', type: 'string', arg: 'stdout|FILE', help: 'write an access-log line per request (JSON, or the Gateway accessLog format) to stdout or append to FILE (reopened on SIGUSR1)' },
    { name: 'log-level', type: 'string', arg: 'LEVEL', help: 'trace, debug, info, warn, error or critical (default: the Gateway manifest\'s, else info)' },
    { name: 'no-watch', type: 'boolean', help: 'do not reload when config or plugin files change (POST /reload still does)' },
    INSPECT_OPT,
    BREAK_ON,
  ],
  notes: ['example: wasmgate serve --config examples/mock-response'],
};

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'Run one plugin on every request, in front of --upstream or a built-in echo backend.',
  synopsis: '<plugin.wasm> [options]',
  positionals: { min: 1, max: 1, name: 'a plugin: wasmgate run <plugin.wasm>' },
  options: [
    { name: 'config', type: 'string', arg: 'JSON|YAML|@file', help: 'the plugin configuration (its defaultConfig), inline or @file, as JSON or YAML' },
    { name: 'upstream', type: 'string', arg: 'URL', help: 'forward to this http(s) origin instead of the echo backend' },
    { ...LISTEN, help: 'data-plane address (default 127.0.0.1:8080)' },
    { ...ADMIN, help: 'admin address (default 127.0.0.1:0, a free port)' },
    { name: 'fail-open', type: 'boolean', help: 'let requests through when the plugin fails (failStrategy FAIL_OPEN)' },
    INSPECT_OPT,
    { ...BREAK_ON, arg: '[PLUGIN:]PHASE', help: 'with --inspect: pause in the plugin\'s proxy_on_PHASE (request_headers, response_body, log, tick, …)' },
  ],
  notes: [
    'Without --upstream, the echo backend answers every request with the request it received, as JSON.',
    'examples: wasmgate run plugin.wasm --config \'{"content":"hello"}\'',
    '          wasmgate run plugin.wasm --config @config.yaml --upstream http://127.0.0.1:3000',
  ],
};

export const VALIDATE: CommandSpec = {
  name: 'validate',
  summary: 'Check manifests as serve would and list every problem with its file:line:col (exit 2 on an error).',
  synopsis: '--config <file|dir> [--config …] [--json] [--strict]   (or: wasmgate validate <file|dir> …)',
  positionals: { min: 0, name: 'a config' },
  options: [
    CONFIG_PATHS,
    { name: 'json', type: 'boolean', help: 'print a JSON report instead of text' },
    { name: 'strict', type: 'boolean', help: 'treat warnings (unknown fields, skipped files, ignored settings) as errors' },
  ],
};

export const INSPECT: CommandSpec = {
  name: 'inspect',
  summary: 'Show a plugin\'s ABI version, toolchain, exports, and which imports wasmgate implements.',
  synopsis: '<plugin.wasm> [--json]',
  positionals: { min: 1, max: 1, name: 'a plugin: wasmgate inspect <plugin.wasm>' },
  options: [{ name: 'json', type: 'boolean', help: 'print the facts as JSON' }],
};

const PLAIN_HTTP = { name: 'plain-http', type: 'boolean', help: 'talk to the registry over HTTP instead of HTTPS (local/test registries)' } as const;
const PULL_SECRET = {
  name: 'pull-secret', type: 'string', arg: 'config.json',
  help: 'Docker config JSON with credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
} as const;

export const OCI_PUSH: CommandSpec = {
  name: 'oci push',
  summary: 'Publish a plugin as the OCI image Higress publishes (README/spec layers optional, plugin.tar.gz last).',
  synopsis: '<plugin.wasm> <registry/repo:tag> [options]',
  positionals: { min: 2, max: 2, name: '<plugin.wasm> and <registry/repo:tag>' },
  options: [
    { name: 'readme', type: 'string', arg: 'README.md', help: 'add a README layer' },
    { name: 'spec', type: 'string', arg: 'spec.yaml', help: 'add a spec layer' },
    PLAIN_HTTP,
    PULL_SECRET,
  ],
};

export const OCI_PULL: CommandSpec = {
  name: 'oci pull',
  summary: 'Fetch the plugin module out of an OCI image into a file.',
  synopsis: '<registry/repo:tag|registry/repo@sha256:…> [options]',
  positionals: { min: 1, max: 1, name: 'one image reference' },
  options: [
    { name: 'output', short: 'o', type: 'string', arg: 'plugin.wasm', help: 'where to write the module (default plugin.wasm)' },
    { name: 'sha256', type: 'string', arg: 'digest', help: 'expected image manifest digest, as in a WasmPlugin\'s sha256 field' },
    PLAIN_HTTP,
    PULL_SECRET,
  ],
};

/** `wasmgate oci` alone: the sub-commands. */
export const OCI: CommandSpec = {
  name: 'oci',
  summary: 'Push plugins to, and pull them from, an OCI registry.',
  synopsis: '<push|pull> …',
  positionals: { min: 1, name: 'a sub-command: push or pull' },
  options: [],
  notes: [
    `  wasmgate ${OCI_PUSH.name} ${OCI_PUSH.synopsis}`,
    `  wasmgate ${OCI_PULL.name} ${OCI_PULL.synopsis}`,
    'Run "wasmgate oci push --help" or "wasmgate oci pull --help" for their options.',
  ],
};

/** The commands `wasmgate --help` lists, in order. */
export const COMMAND_SPECS: readonly CommandSpec[] = [SERVE, RUN, VALIDATE, INSPECT, OCI];
