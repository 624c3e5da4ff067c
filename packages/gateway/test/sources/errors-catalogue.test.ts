// The source catalogue and the "Plugin sources (WG_SOURCE_*)" section of docs/errors.md stay in step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allErrorCodes } from '@wasmgate/host';
import { SOURCE_ERRORS } from '../../src/plugins/sources/index.js';
import { redactUrl, sourceError } from '../../src/plugins/sources/errors.js';

const DOC = fileURLToPath(new URL('../../../../../docs/errors.md', import.meta.url));

function documentedCodes(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('## Plugin sources (WG_SOURCE_*)');
  assert.ok(start >= 0, 'docs/errors.md has no "## Plugin sources (WG_SOURCE_*)" section');
  const rest = text.slice(start + 3);
  const end = rest.search(/^## /m);
  return [...(end < 0 ? rest : rest.slice(0, end)).matchAll(/^### `(WG_[A-Z0-9_]+)`/gm)].map((m) => m[1] ?? '');
}

test('the source catalogue has 13 codes (adding one means documenting it; never reuse one)', () => {
  assert.equal(Object.keys(SOURCE_ERRORS).length, 13);
});

test('every source code is documented, and every documented source code exists', () => {
  assert.deepEqual(documentedCodes().sort(), Object.keys(SOURCE_ERRORS).sort());
});

test('every source code is registered with a summary and a hint', () => {
  const registered = allErrorCodes();
  for (const [code, spec] of Object.entries(SOURCE_ERRORS)) {
    assert.equal(registered.get(code), spec, code);
    assert.ok(spec.summary && spec.hint, code);
    assert.match(code, /^WG_SOURCE_[A-Z0-9_]+$/);
  }
});

test('messages name the plugin and the URL, never a password', () => {
  const e = sourceError('WG_SOURCE_HTTP_STATUS', { url: 'https://u:secret@host/p.wasm', pluginName: 'auth' }, 'GET answered HTTP 500');
  assert.equal(e.message, 'plugin "auth" (https://u:***@host/p.wasm): GET answered HTTP 500');
  assert.equal(e.hint, SOURCE_ERRORS.WG_SOURCE_HTTP_STATUS.hint);
  assert.equal(redactUrl('oci://reg/x:1'), 'oci://reg/x:1');
  assert.equal(redactUrl('http://ghp_token@host/x'), 'http://***@host/x');
});
