// The bytes a plugin receives in proxy_on_configure, built like the Higress controller does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { CASES, loadText, mustLoad, plugin, brief } from './helpers.js';

test('mock-response example: global content, two route rules and a domain rule', () => {
  const { config, errors } = loadConfig(`${CASES}mock-response`);
  assert.deepEqual(errors, []);
  const p = config!.plugins.find((x) => x.name === 'mock-response')!;
  assert.equal(
    p.configJson,
    '{"_rules_":[{"_match_route_":["default/foo"],"content":"hello foo"},{"_match_route_":["default/bar"],"content":"hello bar"},{"_match_domain_":["*.example.com","www.test.com"],"content":"hello world"}],"content":"hello higress"}',
  );
});

test('a rule with ingress, domain and service lists carries all three; keys are sorted at every depth', () => {
  const c = mustLoad(plugin('p', `  matchRules:
  - ingress: [ns1/a]
    domain: [a.com]
    service: ["llm.dns", "svc.ns.svc.cluster.local:80"]
    config: {z: 1, a: [true, null]}`));
  assert.equal(
    c.plugins[0]!.configJson,
    '{"_rules_":[{"_match_domain_":["a.com"],"_match_route_":["ns1/a"],"_match_service_":["llm.dns","svc.ns.svc.cluster.local:80"],"a":[true,null],"z":1}]}',
  );
});

test('configDisable drops a rule; a rule without config has only its match list', () => {
  const c = mustLoad(plugin('p', `  defaultConfig: {content: global}
  matchRules:
  - domain: [a.com]
    configDisable: true
    config: {content: off}
  - domain: [b.com]`));
  assert.equal(c.plugins[0]!.configJson, '{"_rules_":[{"_match_domain_":["b.com"]}],"content":"global"}');
});

test('defaultConfigDisable drops the global keys but keeps the rules', () => {
  const c = mustLoad(plugin('p', `  defaultConfigDisable: true
  defaultConfig: {content: global}
  matchRules:
  - ingress: [foo]
    config: {content: foo}`));
  assert.equal(c.plugins[0]!.configJson, '{"_rules_":[{"_match_route_":["default/foo"],"content":"foo"}]}');
});

test('defaultConfigDisable with no enabled rule: the plugin is not installed, with a warning', () => {
  const r = loadText(plugin('p', `  defaultConfigDisable: true
  defaultConfig: {content: global}
  matchRules:
  - domain: [a.com]
    configDisable: true`));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.plugins, []);
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_IGNORED 7:25 spec.defaultConfigDisable']);
});

test('legacy pluginConfig passes through untouched, _rules_ included, and wins over defaultConfig', () => {
  const r = loadText(plugin('p', `  pluginConfig:
    b: 2
    _rules_:
    - _match_route_: [bare-name]
      a: 1
    c: {x: null}
  defaultConfig: {ignored: true}`));
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.plugins[0]!.configJson, '{"_rules_":[{"_match_route_":["bare-name"],"a":1}],"b":2,"c":{"x":null}}');
  assert.deepEqual(brief(r.warnings), ['WG_CONFIG_IGNORED 13:18 spec.defaultConfig']);
});

test('no configuration at all is sent as empty bytes, as Istio sends no configuration for an empty Struct', () => {
  assert.equal(mustLoad(plugin('p', '')).plugins[0]!.configJson, '');
  assert.equal(mustLoad(plugin('p', '  defaultConfig: {}')).plugins[0]!.configJson, '');
});

test('a bare ingress name means the WasmPlugin namespace', () => {
  const c = mustLoad(plugin('p', `  matchRules:
  - ingress: [foo, other/bar]
    config: {k: v}`, 'higress-system'));
  assert.equal(c.plugins[0]!.configJson, '{"_rules_":[{"_match_route_":["higress-system/foo","other/bar"],"k":"v"}]}');
});

test('a rule with no match list is an error, as Higress rejects the plugin', () => {
  const r = loadText(plugin('p', `  matchRules:
  - config: {k: v}`));
  assert.equal(r.config, undefined);
  assert.deepEqual(brief(r.errors), ['WG_CONFIG_INVALID 8:5 spec.matchRules[0]']);
});
