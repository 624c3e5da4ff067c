// The harness catalogue and its section of docs/errors.md stay in step (fastify's errors test):
// the number of codes is pinned, every code is documented in the Harness section and every
// documented code exists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lookupSpec } from '@wasmgate/host';
import { HARNESS_ERRORS, WasmgateError } from '../src/index.js';
import { ROOT } from './fixtures.js';

function harnessSection(): string[] {
  const text = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const start = text.indexOf('\n## Harness (WG_HARNESS_*)');
  assert.ok(start >= 0, 'docs/errors.md has a "## Harness (WG_HARNESS_*)" section');
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^### `(WG_[A-Z0-9_]+)`/gm)].map((m) => m[1]!);
}

test('the harness catalogue has 8 codes, all documented in the Harness section of docs/errors.md', () => {
  const codes = Object.keys(HARNESS_ERRORS).sort();
  assert.equal(codes.length, 8, 'a new code needs this count, docs/errors.md and the README updated');
  assert.deepEqual(harnessSection().sort(), codes);
  for (const code of codes) assert.ok(code.startsWith('WG_HARNESS_'), code);
});

test('harness codes are registered, so errors carry their default hint', () => {
  for (const [code, spec] of Object.entries(HARNESS_ERRORS)) {
    assert.equal(lookupSpec(code), spec);
    assert.ok(spec.summary.length > 20 && spec.hint, `${code} needs a summary and a hint`);
  }
  assert.equal(new WasmgateError('WG_HARNESS_CLOSED', 'x').hint, HARNESS_ERRORS.WG_HARNESS_CLOSED.hint);
});
