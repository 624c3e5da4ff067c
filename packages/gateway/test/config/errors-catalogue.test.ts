// The config catalogue and the "Config (WG_CONFIG_*)" section of docs/errors.md stay in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmgateError, allErrorCodes } from '@wasmgate/host';
import { CONFIG_ERRORS } from '../../src/config/index.js';

const DOC = fileURLToPath(new URL('../../../../../docs/errors.md', import.meta.url));

function documentedConfigCodes(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('## Config (WG_CONFIG_*)');
  assert.ok(start >= 0, 'docs/errors.md has no "## Config (WG_CONFIG_*)" section');
  const rest = text.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^### `(WG_[A-Z_]+)`/gm)].map((m) => m[1]!);
}

test('the config catalogue has 15 codes (adding one means documenting it; never reuse one)', () => {
  assert.equal(Object.keys(CONFIG_ERRORS).length, 15);
});

test('every config code is documented, and every documented config code exists', () => {
  assert.deepEqual(documentedConfigCodes().sort(), Object.keys(CONFIG_ERRORS).sort());
});

test('every config code is registered, with a hint and exit code 2', () => {
  const registered = allErrorCodes();
  for (const [code, spec] of Object.entries(CONFIG_ERRORS)) {
    assert.equal(registered.get(code), spec, code);
    assert.ok(spec.hint && spec.summary, code);
    assert.equal(spec.exit, 2, code);
    assert.match(code, /^WG_CONFIG_[A-Z_]+$/);
  }
  const e = new WasmgateError('WG_CONFIG_INVALID', 'x');
  assert.equal(e.exit, 2);
  assert.equal(e.hint, CONFIG_ERRORS.WG_CONFIG_INVALID.hint);
});
