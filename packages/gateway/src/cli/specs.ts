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

// ---------------------------------------------------------------------------------------------
// The plugin author's workflow: init → build → test → dev → oci push → manifest (docs/authoring.md)
// ---------------------------------------------------------------------------------------------

export const INIT: CommandSpec = {
  name: 'init',
  summary: 'Create a plugin project (AssemblyScript, Go or Rust) with tests, a WasmPlugin manifest and a local gateway config.',
  synopsis: '<dir> [--lang as|go|rust] [options]',
  positionals: { min: 1, max: 1, name: 'a folder: wasmgate init <dir>' },
  options: [
    { name: 'lang', short: 'l', type: 'string', arg: 'as|go|rust', help: 'the plugin language (default as: AssemblyScript with @wasmgate/sdk)' },
    { name: 'name', type: 'string', arg: 'NAME', help: 'the plugin name (default: the folder name)' },
    { name: 'sdk-version', type: 'string', arg: 'RANGE', help: 'depend on @wasmgate/* from the registry at RANGE (default: $WASMGATE_SDK_VERSION, else file: paths to this installation)' },
    { name: 'no-install', type: 'boolean', help: 'do not run npm install in the new project (the default runs it, so npm test works at once)' },
  ],
  notes: [
    'The folder must be new or empty. Then: cd <dir> && npm test (Go: go mod tidy first).',
    'examples: wasmgate init my-plugin',
    '          wasmgate init my-go-plugin --lang go',
  ],
};

export const BUILD: CommandSpec = {
  name: 'build',
  summary: 'Compile a plugin project to build/plugin.wasm with the canonical flags, then report its size, ABI and imports.',
  synopsis: '[dir] [options]',
  positionals: { min: 0, max: 1, name: 'at most one project folder' },
  options: [
    { name: 'abi', type: 'string', arg: '0.2.100|0.2.1', help: 'AssemblyScript: the ABI marker (default 0.2.100 for Higress; 0.2.1 for plain Envoy/Istio)' },
    { name: 'debug', type: 'boolean', help: 'unoptimised build with debug names' },
    { name: 'out', short: 'o', type: 'string', arg: 'FILE', help: 'write the module here (default <dir>/build/plugin.wasm)' },
  ],
  notes: [
    'The language comes from the folder: asconfig.json / assembly/index.ts / assemblyscript in package.json → AssemblyScript, go.mod → Go, Cargo.toml → Rust.',
    'Exit 1 on compile errors (printed with file:line:col) or a missing toolchain (the message says what to install).',
  ],
};

export const DEV: CommandSpec = {
  name: 'dev',
  summary: 'Build, serve and watch a plugin project: every save rebuilds and hot-reloads while requests keep being served.',
  synopsis: '[dir] [options]',
  positionals: { min: 0, max: 1, name: 'at most one project folder' },
  options: [
    { ...LISTEN, help: 'data-plane address (default 127.0.0.1:8080)' },
    { ...ADMIN, help: 'admin address (default 127.0.0.1:0, a free port)' },
    { name: 'abi', type: 'string', arg: '0.2.100|0.2.1', help: 'AssemblyScript: the ABI marker (default 0.2.100)' },
    { name: 'debug', type: 'boolean', help: 'unoptimised builds with debug names (the default for AssemblyScript)' },
    { name: 'release', type: 'boolean', help: 'AssemblyScript: optimised builds (asc -O3, as wasmgate build), slower to rebuild' },
    { name: 'debounce', type: 'string', arg: 'MS', help: 'quiet time after the last file event before a rebuild (default 60)' },
  ],
  notes: [
    'Serves the project\'s gateway.yaml and wasmplugin.yaml; without a gateway.yaml, the plugin alone in front of the built-in echo backend (as wasmgate run).',
    'A build that fails is printed and the last good build keeps serving.',
  ],
};

export const MANIFEST: CommandSpec = {
  name: 'manifest',
  summary: 'Print the project\'s WasmPlugin for a pushed image: url oci://…, sha256 (the image manifest digest), phase, priority, config.',
  synopsis: '[dir] --image oci://REGISTRY/REPO:TAG [options]',
  positionals: { min: 0, max: 1, name: 'at most one project folder' },
  options: [
    { name: 'image', type: 'string', required: true, arg: 'oci://REGISTRY/REPO:TAG', help: 'the image wasmgate oci push published' },
    { name: 'offline', type: 'boolean', help: 'do not ask the registry: compute the digest wasmgate oci push gives the local build/plugin.wasm' },
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'write the manifest to FILE instead of standard output' },
    PLAIN_HTTP,
    PULL_SECRET,
  ],
  notes: ['example: wasmgate oci push build/plugin.wasm reg.example.com/p:1.0 && wasmgate manifest --image oci://reg.example.com/p:1.0 > deploy.yaml'],
};

/** The commands `wasmgate --help` lists, in order. */
export const COMMAND_SPECS: readonly CommandSpec[] = [SERVE, RUN, VALIDATE, INSPECT, OCI, INIT, BUILD, DEV, MANIFEST];
