/**
 * wasmgate's programmatic API: what `import … from 'wasmgate'` gives. The CLI (`wasmgate serve`) is
 * a thin layer over the same {@link Gateway}.
 *
 * @example Serve a folder of manifests from a program, then stop it
 * ```ts
 * import { Gateway, createLogger, LogLevel } from 'wasmgate';
 *
 * const gateway = await Gateway.start({
 *   configPaths: ['examples/mock-response'],
 *   overrides: { listen: '127.0.0.1:0', admin: '127.0.0.1:0', workers: 1 },
 *   logger: createLogger((line) => console.error(line), LogLevel.info),
 *   watch: false,
 * });
 * console.log(`serving on port ${gateway.address.port}`);
 * await gateway.close();
 * ```
 *
 * @example Validate manifests without serving (what `wasmgate validate` does)
 * ```ts
 * import { loadConfig } from 'wasmgate';
 *
 * const { errors, warnings } = loadConfig(['my-manifests/']);
 * for (const e of errors) console.error(e.code, e.message);
 * ```
 *
 * Needs Node.js >= 22.12 (the CLI launcher can bridge an older Node with the bundled one; a library
 * import cannot), so importing this module on an older Node throws at once with that explanation.
 * @module
 */

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  throw new Error(
    `wasmgate needs Node.js >= 22.12, this is ${process.version}. ` +
      'The wasmgate CLI re-runs itself on the Node 24 npm installs on Linux x64/arm64, but a program that ' +
      'imports wasmgate must itself run on Node >= 22.12 (Node 24 LTS recommended).',
  );
}

export {
  Gateway,
  type GatewayOptions,
  type ReloadOptions,
  type GenerationInfo,
  type DrainingGeneration,
  type ReloadOutcome,
  type ReloadProblem,
} from './gateway.js';
export { createLogger, levelFromName, type Logger } from './logger.js';
export {
  loadConfig,
  loadConfigFromSources,
  readConfigSources,
  type LoadOptions,
  type LoadResult,
  type ConfigSource,
  type ReadResult,
} from './config/index.js';
export type { Config, ConfigOverrides } from './config/types.js';
/** Errors carry a stable `WG_*` code (see docs/errors.md), a message, a hint and details. */
export { WasmgateError, LogLevel, type LogLevelName } from '@wasmgate/host';
