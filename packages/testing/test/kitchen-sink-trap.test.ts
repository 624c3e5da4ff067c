// A plugin that traps (kitchen-sink's trap mode: a Go panic, then `unreachable`): the harness
// reports the trap with the panic text, and the failure is sticky for every later stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODE_HEADER, loadPlugin, WasmgateError } from '../src/index.js';
import { KITCHEN_SINK, modeRequest } from './fixtures.js';

describe('kitchen-sink trap', () => {
  it('reports WG_VM_TRAP with the panic text, then WG_VM_FAILED for the next stream (FAIL_CLOSE)', async (t) => {
    const plugin = await loadPlugin(KITCHEN_SINK);
    t.after(() => plugin.close());
    const s = plugin.stream();
    const r = s.requestHeaders(modeRequest('trap'), { endStream: true });
    assert.equal(r.action, 'local-reply');
    assert.equal(r.status, undefined, 'the callback never returned');
    assert.ok(r.error instanceof WasmgateError);
    assert.equal(r.error.code, 'WG_VM_TRAP');
    assert.match(r.error.message, /unreachable/);
    assert.ok(r.error.details.some((d) => d.startsWith('panic: kitchen-sink: trap mode')), r.error.details.join('\n'));
    assert.equal(plugin.failure, r.error);
    // The Go runtime wrote the panic to fd 2, which the host logs at error.
    assert.ok(plugin.logs.some((l) => l.source === 'stderr' && l.level === 'error' && l.message.startsWith('panic: kitchen-sink: trap mode')));
    // FAIL_CLOSE: the client gets a 503 naming the code.
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.headers?.get(ERROR_CODE_HEADER), 'WG_VM_TRAP');
    s.end();

    const next = plugin.stream();
    const r2 = next.requestHeaders(modeRequest('shared-counter'), { endStream: true });
    assert.equal(r2.action, 'local-reply');
    assert.equal(r2.error?.code, 'WG_VM_FAILED');
    assert.equal(r2.error?.cause, plugin.failure, 'the sticky failure points at the trap');
    assert.equal(next.downstream.headers?.get(ERROR_CODE_HEADER), 'WG_VM_FAILED');
    next.end();
  });

  it('with FAIL_OPEN the failed plugin is skipped', async (t) => {
    const plugin = await loadPlugin(KITCHEN_SINK, { failStrategy: 'FAIL_OPEN' });
    t.after(() => plugin.close());
    const s = plugin.stream();
    const r = s.requestHeaders(modeRequest('trap'), { endStream: true });
    assert.equal(r.action, 'continue');
    assert.equal(r.error?.code, 'WG_VM_TRAP');
    assert.equal(s.upstream.headers?.get('x-fixture-mode'), 'trap');
    s.respond(200, { body: 'served without the plugin' });
    assert.equal(s.downstream.body, 'served without the plugin');
    s.end();
    const next = plugin.stream();
    assert.equal(next.requestHeaders(modeRequest('shared-counter'), { endStream: true }).action, 'continue');
    assert.equal(next.upstream.headers?.get('x-counter'), undefined, 'the plugin did not run');
    next.end();
  });
});
