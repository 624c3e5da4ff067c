/**
 * `--inspect[=[host:]port]` (an option whose value is optional, inline only) and `--break-on`, as
 * the option table parses them (cli/options.ts, cli/inspect-flags.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmgateError } from '@wasmgate/host';
import { breakOnMisses, devtoolsUrl, parseBreakOn, parseInspect } from '../../src/cli/inspect-flags.js';
import { parseCommand, usageText } from '../../src/cli/options.js';
import { RUN, SERVE } from '../../src/cli/specs.js';

const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof WasmgateError && e.code === 'WG_CLI_USAGE' && re.test(e.message));

describe('--inspect and --break-on', () => {
  test('--inspect alone is true, --inspect=V is V; it never takes the next argument as its value', () => {
    assert.equal(parseCommand(RUN, ['p.wasm', '--inspect']).values.inspect, true);
    assert.equal(parseCommand(RUN, ['p.wasm', '--inspect=9230']).values.inspect, '9230');
    const p = parseCommand(SERVE, ['--config', 'x', '--inspect', '--listen', '127.0.0.1:1']);
    assert.equal(p.values.inspect, true);
    assert.equal(p.values.listen, '127.0.0.1:1');
    // `--inspect 9230` leaves 9230 a positional: run takes only one.
    usage(() => parseCommand(RUN, ['p.wasm', '--inspect', '9230']), /unexpected argument "9230"/);
    usage(() => parseCommand(RUN, ['p.wasm', '--inspect', '--inspect=1']), /given more than once/);
    usage(() => parseCommand(RUN, ['p.wasm', '--inspect=']), /needs a value/);
    assert.equal(parseCommand(RUN, ['p.wasm']).values.inspect, undefined);
  });

  test('[HOST:]PORT', () => {
    assert.deepEqual(parseInspect(RUN, true), { host: '127.0.0.1', port: 9229 });
    assert.deepEqual(parseInspect(RUN, '0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseInspect(RUN, '0.0.0.0:9230'), { host: '0.0.0.0', port: 9230 });
    assert.deepEqual(parseInspect(RUN, '[::1]:9230'), { host: '::1', port: 9230 });
    assert.equal(parseInspect(RUN, undefined), undefined);
    usage(() => parseInspect(RUN, 'localhost'), /\[HOST:\]PORT/);
    usage(() => parseInspect(RUN, '70000'), /\[HOST:\]PORT/);
  });

  test('--break-on: PLUGIN:PHASE (serve), [PLUGIN:]PHASE (run), known callbacks only, --inspect required', () => {
    assert.deepEqual(parseBreakOn(SERVE, ['ns/p:request_headers', 'p:proxy_on_tick'], true), [
      { plugin: 'ns/p', export: 'proxy_on_request_headers' }, { plugin: 'p', export: 'proxy_on_tick' },
    ]);
    assert.deepEqual(parseBreakOn(RUN, ['log', 'whatever:response_body'], true, 'default/plugin'), [
      { plugin: 'default/plugin', export: 'proxy_on_log' }, { plugin: 'default/plugin', export: 'proxy_on_response_body' },
    ]);
    usage(() => parseBreakOn(SERVE, ['request_headers'], true), /PLUGIN:PHASE/);
    usage(() => parseBreakOn(SERVE, ['p:headers'], true), /"headers" is not a Proxy-Wasm callback/);
    usage(() => parseBreakOn(RUN, ['log'], false, 'default/plugin'), /needs --inspect/);
    assert.deepEqual(parseBreakOn(SERVE, undefined, false), []);
    // serve warns about a plugin name that matches no loaded plugin.
    assert.deepEqual(breakOnMisses([{ plugin: 'auth' }, { plugin: 'default/mock' }], ['default/auth', 'default/mock']), []);
    const miss = breakOnMisses([{ plugin: 'autj' }, { plugin: 'autj' }], ['default/auth']);
    assert.equal(miss.length, 1);
    assert.match(miss[0]!, /--break-on autj: no plugin of that name is loaded \(default\/auth\)/);
  });

  test('usage text and the devtools:// URL', () => {
    assert.match(usageText(RUN), /--inspect\[=\[HOST:\]PORT\]\s+debug plugins/);
    assert.match(usageText(RUN), /--break-on <\[PLUGIN:\]PHASE>/);
    assert.equal(devtoolsUrl('ws://127.0.0.1:9229/ab-cd'), 'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:9229/ab-cd');
  });
});
