/**
 * Errors of the plugin author's commands (`init`, `build`, `dev`, `manifest`): WG_INIT_*,
 * WG_BUILD_*, WG_MANIFEST_*. Documented in docs/errors.md.
 * @module
 */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const AUTHOR_ERRORS = defineErrors({
  WG_INIT_NOT_EMPTY: {
    summary: 'wasmgate init was pointed at a folder that already has files in it.',
    hint: 'Name a new or empty folder: wasmgate init my-plugin',
    exit: 2,
  },
  WG_INIT_TEMPLATE: {
    summary: 'The project templates of this wasmgate installation are missing.',
    hint: 'Reinstall wasmgate (the package ships templates/ next to dist/).',
    exit: 1,
  },
  WG_INIT_INSTALL: {
    summary: 'wasmgate init created the project, but installing its dependencies (npm install) failed; npm\'s output is printed above.',
    hint: 'Fix what npm reports (network, registry, permissions), then run npm install in the project. wasmgate init --no-install skips the step.',
    exit: 1,
  },
  WG_BUILD_NO_PROJECT: {
    summary: 'The folder is not a plugin project wasmgate knows how to build.',
    hint: 'Run wasmgate build in a folder made by wasmgate init: assembly/index.ts or asconfig.json (AssemblyScript), go.mod (Go) or Cargo.toml (Rust).',
    exit: 2,
  },
  WG_BUILD_TOOLCHAIN: {
    summary: 'The compiler the project needs is not installed.',
    hint: 'Install what the message names; the commands are in docs/authoring.md.',
    exit: 1,
  },
  WG_BUILD_COMPILE: {
    summary: 'The plugin did not compile; the compiler\'s messages (file:line:col) are printed above.',
    hint: 'Fix the first error listed and build again.',
    exit: 1,
  },
  WG_MANIFEST_PLUGIN: {
    summary: 'The project\'s wasmplugin.yaml is missing or is not a WasmPlugin manifest.',
    hint: 'Keep the wasmplugin.yaml that wasmgate init wrote (kind: WasmPlugin, with spec.phase, priority and defaultConfig).',
    exit: 2,
  },
});
registerErrors(AUTHOR_ERRORS);
