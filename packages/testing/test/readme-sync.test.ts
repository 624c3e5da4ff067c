// The README's complete test is readme-example.test.ts, character for character, apart from its
// header comment and the import path: the documented example is always one that passes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './fixtures.js';

test('README.md shows test/readme-example.test.ts', () => {
  const readme = readFileSync(join(ROOT, 'packages/testing/README.md'), 'utf8');
  const marker = readme.indexOf('<!-- complete-test -->\n```ts\n');
  assert.ok(marker >= 0, 'README has the complete-test block');
  const start = readme.indexOf('```ts\n', marker) + '```ts\n'.length;
  const shown = readme.slice(start, readme.indexOf('```\n', start));
  const example = readFileSync(join(ROOT, 'packages/testing/test/readme-example.test.ts'), 'utf8');
  const runnable = example.slice(example.indexOf('import assert')).replace("'../src/index.js'", "'@wasmgate/testing'");
  assert.equal(shown, runnable);
});
