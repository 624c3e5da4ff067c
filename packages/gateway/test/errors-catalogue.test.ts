// Every WG_* code in the whole project: registered in a catalogue, documented in docs/errors.md,
// and never used in source without a catalogue entry (fastify's errors test, across packages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allErrorCodes } from '@wasmgate/host';
import '../src/config/index.js';
import '../src/plugins/sources/index.js';
import '../src/proxy/errors.js';
import '../src/cli/errors.js';
import '../src/supervisor/errors.js';
import '../src/admin/errors.js';
import '../src/author/errors.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

async function loadOptionalCatalogues(): Promise<void> {
  // The harness registers its own catalogue on import.
  await import('@wasmgate/testing').catch(() => undefined);
}

function documented(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  return new Set([...text.matchAll(/^### `(WG_[A-Z0-9_]+)`/gm)].map((m) => m[1]!));
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('every registered WG_* code is documented in docs/errors.md, and every documented code exists', async () => {
  await loadOptionalCatalogues();
  const registered = [...allErrorCodes().keys()].sort();
  const docs = [...documented()].sort();
  assert.deepEqual(registered.filter((c) => !documented().has(c)), [], 'registered but not documented');
  assert.deepEqual(docs.filter((c) => !allErrorCodes().has(c)), [], 'documented but not registered');
});

test('every WG_* code used in package sources has a catalogue entry with a summary', async () => {
  await loadOptionalCatalogues();
  const codes = allErrorCodes();
  const unknown = new Set<string>();
  for (const pkg of ['host', 'testing', 'gateway']) {
    for (const file of sourceFiles(join(ROOT, 'packages', pkg, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](WG_[A-Z][A-Z0-9_]*[A-Z0-9])['"`]/g)) {
        if (!codes.has(m[1]!)) unknown.add(`${m[1]} (${file.slice(ROOT.length)})`);
      }
    }
  }
  assert.deepEqual([...unknown], []);
  for (const [code, spec] of codes) assert.ok(spec.summary.length > 10, `${code} needs a summary`);
});
