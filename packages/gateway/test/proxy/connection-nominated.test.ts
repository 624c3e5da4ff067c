/**
 * Hop-by-hop headers on the way out (RFC 9110 §7.6.1): the fixed set, and every header a
 * `connection` header names, in requests (outgoingHeaders) and responses (outgoingHeaderList). The
 * common `keep-alive` value takes a shortcut; these cases pin that it means the same as the general path.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMap } from '@wasmgate/host';
import { outgoingHeaderList, outgoingHeaders } from '../../src/proxy/headers.js';

const names = (list: string[]) => list.filter((_, i) => i % 2 === 0);

describe('headers named by Connection are not forwarded', () => {
  const cases: [string, [string, string][], string[]][] = [
    ['keep-alive only', [['connection', 'keep-alive'], ['keep-alive', 'timeout=5'], ['x-a', '1']], ['x-a']],
    ['Keep-Alive in capitals', [['connection', 'Keep-Alive'], ['keep-alive', 'timeout=5'], ['x-a', '1']], ['x-a']],
    ['keep-alive and a private header', [['connection', 'keep-alive, X-Private'], ['x-private', 's'], ['x-a', '1']], ['x-a']],
    ['close', [['connection', 'close'], ['x-a', '1']], ['x-a']],
    ['two connection headers', [['connection', 'keep-alive'], ['connection', ' x-one ,x-two'], ['x-one', '1'], ['x-two', '2'], ['x-a', '1']], ['x-a']],
    ['a header that only looks like keep-alive', [['connection', 'keep-alivf'], ['keep-alivf', '1'], ['x-a', '1']], ['x-a']],
    ['no connection header', [['x-private', 's'], ['transfer-encoding', 'chunked'], ['x-a', '1']], ['x-private', 'x-a']],
  ];
  for (const [what, pairs, kept] of cases) {
    test(what, () => {
      const map = new HeaderMap([[':status', '200'], ...pairs]);
      assert.deepEqual(names(outgoingHeaderList(map)), kept, 'response (list)');
      assert.deepEqual(Object.keys(outgoingHeaders(map)), kept, 'request (object)');
    });
  }
});
