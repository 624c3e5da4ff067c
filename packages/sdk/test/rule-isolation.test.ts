// wasm-go's rule-level config isolation (PluginContext.enableRuleLevelConfigIsolation): a rule that
// fails to parse falls back to that rule's last good configuration in this VM (matched by its match
// conditions), or is skipped; only a configuration left with no rule at all is rejected. Without the
// switch (test plugin "basic") one bad rule rejects the whole configuration, as before.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, WasmgateError, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

const GET = { ':method': 'GET', ':path': '/', ':authority': 'shop.test', ':scheme': 'http' };

describe('rule-level config isolation', () => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await loadPlugin(await buildPlugin('isolation'), {
      name: 'isolation',
      config: {
        name: 'global',
        _rules_: [
          { _match_route_: ['default/one'], name: 'one' },
          { _match_domain_: ['*.example.com'], name: 'domain' },
        ],
      },
    });
  });
  after(() => plugin.close());

  const configOf = (route: string, authority = 'shop.test') => {
    const s = plugin.stream({ properties: { route_name: route } });
    s.requestHeaders({ ...GET, ':authority': authority }, { endStream: true });
    const got = s.upstream.headers?.get('x-config');
    s.end();
    return got;
  };

  it('serves every rule that parsed', () => {
    assert.equal(configOf('default/one'), 'one');
    assert.equal(configOf('x', 'a.example.com'), 'domain');
    assert.equal(configOf('x'), 'global');
  });

  it('a reconfiguration with a broken rule keeps that rule\'s last good config and skips a broken new one', () => {
    plugin.clearLogs();
    // A second root in the same VM, as a reload that keeps the VM gives it.
    const root = plugin.vm.createRoot({
      name: 'isolation', rootId: 'reloaded',
      config: JSON.stringify({
        name: 'global-2',
        _rules_: [
          { _match_route_: ['default/one'], fail: true },
          { _match_domain_: ['*.example.com'], name: 'domain-2' },
          { _match_route_: ['default/new'], fail: true },
        ],
      }),
    });
    assert.ok(root, 'the configuration was accepted');
    const infos = plugin.logsAt('info');
    const warns = plugin.logsAt('warn');
    const errors = plugin.logsAt('error');
    assert.ok(infos.some((l) => l.endsWith('] parsed one')), `rule 0 was parsed again from its last good JSON: ${infos.join(' | ')}`);
    assert.ok(infos.some((l) => l.includes('_rules_[0]: using this rule\'s last good configuration')), infos.join(' | '));
    assert.ok(infos.some((l) => l.endsWith('] parsed domain-2')), 'a rule that parses uses its new config');
    assert.ok(warns.some((l) => l.includes('_rules_[0]: asked to fail')), warns.join(' | '));
    assert.ok(errors.some((l) => l.includes('_rules_[2]: no earlier configuration of this rule; the rule is skipped')), errors.join(' | '));
    assert.ok(infos.some((l) => l.includes('plugin start successfully')), infos.join(' | '));
  });

  it('a configuration whose every rule fails, with nothing to fall back on, is rejected', () => {
    assert.throws(() => plugin.vm.createRoot({
      name: 'isolation', rootId: 'all-bad',
      config: JSON.stringify({ _rules_: [{ _match_route_: ['default/never-seen'], fail: true }] }),
    }), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details.some((l) => l.includes('all rules failed to parse')), e.details.join('\n'));
      return true;
    });
  });
});

describe('without the isolation switch', () => {
  it('one rule that fails to parse rejects the configuration', async () => {
    await assert.rejects(loadPlugin(await buildPlugin('basic'), {
      config: { name: 'g', _rules_: [{ _match_route_: ['a'], name: 'ok' }, { _match_route_: ['b'], fail: true }] },
    }), (e: unknown) => {
      assert.ok(e instanceof WasmgateError);
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details.some((l) => l.includes('_rules_[1]: asked to fail')), e.details.join('\n'));
      return true;
    });
  });
});
