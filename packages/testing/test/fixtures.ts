// Locates the repository's fixtures/ from the compiled test file (dist/test/…) or the source, so
// tests do not depend on the working directory the runner was started in.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'fixtures', 'go'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('fixtures/ not found above the test file');
    dir = up;
  }
  return dir;
}

export const ROOT = repoRoot();

/** Absolute path of a fixture, e.g. fixture('go/kitchen-sink/plugin.wasm'). */
export function fixture(rel: string): string {
  return join(ROOT, 'fixtures', rel);
}

export const KITCHEN_SINK = fixture('go/kitchen-sink/plugin.wasm');
export const MOCK_RESPONSE = fixture('go/mock-response/plugin.wasm');
export const HEADERS_BENCH = fixture('go/headers-bench/plugin.wasm');

/** A GET request's headers with the fixture mode kitchen-sink should run. */
export function modeRequest(mode: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ':method': 'GET', ':path': '/abc', ':authority': 'example.com', ':scheme': 'http', 'x-fixture-mode': mode, ...extra };
}

/**
 * True while no request headers reached the upstream. (A helper rather than
 * `assert.equal(s.upstream.headers, undefined)`, which would make TypeScript narrow the getter to
 * `undefined` for the rest of the test, even after the stream resumed.)
 */
export function nothingUpstream(s: { readonly upstream: { readonly headers: unknown } }): boolean {
  return s.upstream.headers === undefined;
}
