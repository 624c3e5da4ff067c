// The resolved Config is deep-frozen: runtime code can share it, and nothing can change it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, loadConfig } from '../../src/config/index.js';
import { CASES } from './helpers.js';

function assertDeepFrozen(value: unknown, path = 'config'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${path} is not frozen`);
  for (const [k, v] of Object.entries(value)) assertDeepFrozen(v, `${path}.${k}`);
}

test('every object and array reachable from the config is frozen', () => {
  const { config } = loadConfig(`${CASES}mock-response`);
  assert.ok(config);
  assertDeepFrozen(config);
  assert.ok(config.routes.length > 0 && config.plugins.length > 0 && config.services.length > 0);
});

test('writes throw in strict mode (ES modules are strict)', () => {
  const { config } = loadConfig(`${CASES}mock-response`);
  const c = config as unknown as { gateway: { listen: { port: number } }; routes: unknown[]; plugins: { env: Record<string, string> }[] };
  assert.throws(() => { c.gateway.listen.port = 1; }, TypeError);
  assert.throws(() => { c.routes.push({}); }, TypeError);
  assert.throws(() => { c.plugins[0]!.env.X = 'y'; }, TypeError);
});

test('two loads never share mutable state', () => {
  const a = loadConfig(`${CASES}mock-response`).config!;
  const b = loadConfig(`${CASES}mock-response`).config!;
  assert.notEqual(a, b);
  assert.deepEqual(a, b);
});

test('deepFreeze handles cycles and already-frozen parents with mutable children', () => {
  const child = { n: 1 };
  const parent = Object.freeze({ child });
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  deepFreeze({ parent, cyclic });
  assert.ok(Object.isFrozen(child));
  assert.ok(Object.isFrozen(cyclic));
});
