// headers-bench in three toolchains (Go 1.24 wasip1, C with no libc, AssemblyScript): the same
// plugin behaviour through the same harness, as fixtures/go/headers-bench/README.md describes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FilterHeadersStatus, loadPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const REQUEST = [[':method', 'GET'], [':path', '/bench'], [':authority', 'example.com'], ['user-agent', 'test'], ['x-a', '1'], ['x-a', '2']] as const;

for (const [toolchain, path] of [['go', fixture('go/headers-bench/plugin.wasm')], ['c', fixture('c/headers-bench.wasm')], ['as', fixture('as/headers-bench.wasm')]] as const) {
  describe(`headers-bench (${toolchain})`, { skip: !existsSync(path) && `${path} not built` }, () => {
    it('continues with the request headers unchanged and logs nothing', async (t) => {
      const plugin = await loadPlugin(path, { name: 'headers-bench' });
      t.after(() => plugin.close());
      for (let i = 0; i < 3; i++) {
        const s = plugin.stream();
        const r = s.requestHeaders(REQUEST, { endStream: true });
        assert.equal(r.action, 'continue');
        assert.equal(r.status, FilterHeadersStatus.Continue);
        assert.deepEqual(s.upstream.headers?.pairs, REQUEST.map(([k, v]) => [k, v]));
        assert.equal(s.upstream.ended, true);
        s.respond(200, { body: 'ok' });
        assert.equal(s.downstream.status, 200);
        assert.equal(s.downstream.body, 'ok');
        s.end();
      }
      // Start-up included: not one line at any level (the Go runtime writes nothing either).
      assert.deepEqual(plugin.logs, []);
      assert.equal(plugin.failure, undefined);
    });
  });
}
