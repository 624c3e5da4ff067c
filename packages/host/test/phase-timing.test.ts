/**
 * StreamOptions.phaseTiming: the chain calls the embedder's start/end around every guest callback
 * of every filter (and around proxy_on_log/done/delete at finish), with the phase, in order and
 * properly nested when a local reply runs the response path from inside a request callback. The
 * host reads no clock: start's return value comes back to end untouched.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginVm, type FilterPhase, type PhaseTiming } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { compileWat } from './helpers/wat.js';

async function passThrough(name: string, ports: TestPorts) {
  const mod = await compileWat(`pass-${name}.wat`, `(module
    (memory (export "memory") 1)
    (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0x1000))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
    (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
    (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0)))`);
  const vm = await PluginVm.create(mod, { name, ports });
  return filter(vm, vm.createRoot({ name }), name);
}

/** Records start/end pairs; the "clock" is a counter, so the host cannot be using a clock of its own. */
function recorder() {
  const events: string[] = [];
  let tick = 100n;
  const timing: PhaseTiming = {
    start(f, index, phase: FilterPhase) {
      events.push(`start ${f.name}#${index} ${phase}`);
      return tick++;
    },
    end(f, index, phase, start) {
      events.push(`end ${f.name}#${index} ${phase} @${start}`);
    },
  };
  return { events, timing };
}

describe('phaseTiming', () => {
  test('start/end around each callback of each filter, in chain order, log at finish', async () => {
    const ports = new TestPorts();
    const { events, timing } = recorder();
    const run = openStream([await passThrough('a', ports), await passThrough('b', ports)], { phaseTiming: timing });
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('x'), true);
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('y'), true);
    run.stream.finish();
    assert.deepEqual(events, [
      'start a#0 request_headers', 'end a#0 request_headers @100', 'start b#1 request_headers', 'end b#1 request_headers @101',
      'start a#0 request_body', 'end a#0 request_body @102', 'start b#1 request_body', 'end b#1 request_body @103',
      'start b#1 response_headers', 'end b#1 response_headers @104', 'start a#0 response_headers', 'end a#0 response_headers @105',
      'start b#1 response_body', 'end b#1 response_body @106', 'start a#0 response_body', 'end a#0 response_body @107',
      'start a#0 log', 'end a#0 log @108', 'start b#1 log', 'end b#1 log @109',
    ]);
  });

  test('a local reply from a request callback: the response callbacks nest inside it', async () => {
    const ports = new TestPorts();
    const { events, timing } = recorder();
    const a = await passThrough('a', ports);
    const mock = await loadPlugin(FIXTURES.mockResponse, { ports, root: { config: '{"content":"local"}' } });
    const run = openStream([a, filter(mock.vm, mock.root, 'mock')], { phaseTiming: timing });
    run.stream.requestHeaders(requestHeaders(), true);
    const i = events.indexOf('start mock#1 request_headers');
    const j = events.indexOf('end mock#1 request_headers @101');
    assert.ok(i >= 0 && j > i, events.join('\n'));
    const inside = events.slice(i + 1, j);
    // The reply runs through every filter's response callbacks (the sender's too), last → first.
    assert.deepEqual(inside.filter((e) => e.startsWith('start')), [
      'start mock#1 response_headers', 'start a#0 response_headers', 'start mock#1 response_body', 'start a#0 response_body',
    ]);
    assert.equal(inside.filter((e) => e.startsWith('end')).length, 4);
    assert.equal(run.sink.downstreamBody, 'local');
  });

  test('a trapping callback still gets its end', async () => {
    const ports = new TestPorts();
    const { events, timing } = recorder();
    const trap = await loadPlugin('fixtures/wat/trap.wasm', { ports });
    const run = openStream([filter(trap.vm, trap.root, 'trap', 'FAIL_OPEN')], { phaseTiming: timing });
    run.stream.requestHeaders(requestHeaders(), true);
    assert.deepEqual(events.slice(0, 2), ['start trap#0 request_headers', 'end trap#0 request_headers @100']);
    assert.equal(run.filterErrors.length, 1);
  });
});
