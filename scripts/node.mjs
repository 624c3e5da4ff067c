#!/usr/bin/env node
// Usage: node scripts/node.mjs <script> [args…]
// Runs <script> on a Node >= 22.12 whatever Node started this: the npm scripts (package.json) go
// through it so that they never depend on which `node` comes first on PATH.
import { resolve } from 'node:path';
import { pickNode, runOn, tooOldMessage } from './lib/node-runtime.mjs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/node.mjs <script> [args…]');
  process.exit(2);
}
const node = pickNode();
if (!node) {
  console.error(tooOldMessage(script));
  process.exit(2);
}
await runOn(node, resolve(script), args);
