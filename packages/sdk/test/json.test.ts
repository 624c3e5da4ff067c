import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

describe('JsonValue', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('json'), { name: 'json' }); });
  after(() => plugin.close());

  /** exists|kind (JsonKind: Missing 0, Null, Bool, Number, String, Array, Object)|asString("def")|asI64(-1)|asF64(-1)|asBool|keys|asArray length|toString */
  const ask = (json: string, path = '') => {
    const s = plugin.stream();
    s.requestHeaders({ ':method': 'POST', ':path': '/', ':authority': 'j.test', 'content-type': 'application/json', 'x-path': path });
    s.requestBody(json, { endStream: true });
    const body = s.downstream.body;
    s.end();
    return body;
  };
  const doc = '{"a": {"b": [10, "x", true, null, {"c": 1.5}]}, "s": "h\\u00e9\\n\\"q\\"", "n": -42, "e": 1e3, "t": true, "a2": 1, "a2": 2}';

  it('reads members and dotted paths (object keys, array indexes)', () => {
    assert.equal(ask(doc, 'a.b.0'), 'exists|3|10|10|10.0|true||0|10');
    assert.equal(ask(doc, 'a.b.1'), 'exists|4|x|-1|-1.0|false||0|"x"');
    assert.equal(ask(doc, 'a.b.2'), 'exists|2|true|1|1.0|true||0|true');
    assert.equal(ask(doc, 'a.b.3'), 'exists|1|def|-1|-1.0|false||0|null');
    assert.equal(ask(doc, 'a.b.4.c'), 'exists|3|1.5|1|1.5|true||0|1.5');
    assert.equal(ask(doc, 'a.b'), 'exists|5|[10,"x",true,null,{"c":1.5}]|-1|-1.0|false||5|[10,"x",true,null,{"c":1.5}]');
  });
  it('gives a missing value (never null) for absent keys and bad indexes', () => {
    for (const p of ['nope', 'a.nope.deeper', 'a.b.9', 'a.b.-1', 'a.b.01', 's.x']) {
      assert.equal(ask(doc, p), 'missing|0|def|-1|-1.0|false||0|', p);
    }
  });
  it('decodes escapes and serialises back', () => {
    assert.equal(ask(doc, 's'), 'exists|4|hé\n"q"|-1|-1.0|false||0|"hé\\n\\"q\\""');
    assert.equal(ask(doc, 'n'), 'exists|3|-42|-42|-42.0|true||0|-42');
    assert.equal(ask(doc, 'e'), 'exists|3|1e3|1000|1000.0|true||0|1e3');
    assert.equal(ask(doc, 'a2'), 'exists|3|2|2|2.0|true||0|2'); // last duplicate wins
    assert.equal(ask('{"k": {"x": 1, "y": [ ]}}', 'k'), 'exists|6|{"x":1,"y":[]}|-1|-1.0|false|x,y|0|{"x":1,"y":[]}');
  });
  it('reports malformed JSON with the position', () => {
    assert.equal(ask('{"a": 1,}'), "error: expected a string key at position 8");
    assert.equal(ask('[1, 2'), "error: expected ',' or ']' at position 5");
    assert.equal(ask('{"a": tru}'), "error: unexpected character 't' at position 6");
    assert.equal(ask('"abc'), 'error: unterminated string at position 4');
    assert.equal(ask('{} x'), 'error: unexpected data after the JSON value at position 3');
    assert.equal(ask('{"a": "\\q"}'), 'error: invalid escape at position 8');
  });
});
