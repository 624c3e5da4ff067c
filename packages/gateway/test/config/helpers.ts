/**
 * Helpers for the config tests: load YAML given inline (no files), find the fixture cases, and run
 * a CLI command with captured output.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfigFromSources, type Config, type LoadResult } from '../../src/config/index.js';
import type { CliIo } from '../../src/cli/io.js';

/** `packages/gateway/test/config/cases` (tests run from dist/test/config, fixtures stay in the source tree). */
export const CASES = fileURLToPath(new URL('../../../test/config/cases/', import.meta.url));

/** The file name inline YAML pretends to come from. */
export const VIRTUAL = '/virtual/config/test.yaml';

/** Loads inline YAML as if it were one file. */
export function loadText(text: string, overrides = {}): LoadResult {
  return loadConfigFromSources([{ file: VIRTUAL, text }], overrides);
}

/** Loads inline YAML that must be valid; fails the test with the report otherwise. */
export function mustLoad(text: string, overrides = {}): Config {
  const r = loadText(text, overrides);
  assert.deepEqual(r.errors.map((e) => `${e.code} ${e.formatLocation()} ${e.message}`), []);
  assert.ok(r.config);
  return r.config;
}

/** `code line:col path` for each problem: what most tests compare. */
export function brief(problems: LoadResult['errors']): string[] {
  return problems.map((e) => `${e.code} ${e.location?.line}:${e.location?.col} ${e.location?.path ?? ''}`.trim());
}

/** A CliIo that records what a command prints. */
export function captureIo(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    cwd,
    env: {},
    stopSignal: new Promise(() => {}),
  };
}

/** A Service that the inline Ingress examples point at. */
export const ECHO_SERVICE = `
apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: {name: echo}
spec:
  endpoints: ["127.0.0.1:9000"]
`;

/** A minimal WasmPlugin manifest with the given spec lines (indented two spaces). */
export function plugin(name: string, specLines: string, namespace = 'default'): string {
  return `---
apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  url: file:///plugins/${name}.wasm
${specLines}
`;
}
