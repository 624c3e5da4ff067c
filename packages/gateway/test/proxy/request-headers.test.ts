/**
 * requestHeaderMap applies the edge rules in its one pass over the raw headers; it must give exactly
 * what building the map and then running applyEdgeHeaders (the rules spelled out one by one) gives,
 * for every edge setting and every mix of repeated, empty, absent and x-envoy-* headers. Random but
 * seeded request heads; generated x-request-ids are compared as "generated here" and by position.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { EdgeSettings } from '../../src/config/types.js';
import { applyEdgeHeaders, requestHeaderMap } from '../../src/proxy/headers.js';
import { rng } from '../helpers/rng.js';

const NAMES = ['X-Forwarded-For', 'x-forwarded-proto', 'X-Request-Id', 'x-envoy-original-path', 'X-Envoy-Upstream', 'accept', 'user-agent', 'x-custom'];
const VALUES = ['', '1.2.3.4', 'https', 'abc', '10.0.0.1, 10.0.0.2'];

function request(r: () => number): IncomingMessage {
  const raw: string[] = ['Host', 'shop.test'];
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) raw.push(NAMES[Math.floor(r() * NAMES.length)]!, VALUES[Math.floor(r() * VALUES.length)]!);
  return {
    url: '/p?q=1', method: 'GET', headers: { host: 'shop.test' }, rawHeaders: raw,
    socket: { encrypted: r() < 0.5 }, httpVersionMajor: 1, httpVersionMinor: 1,
  } as unknown as IncomingMessage;
}

const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(v);

/** Pairs with a generated x-request-id replaced by a marker (the client's never looks like a UUID here). */
const comparable = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([k, v]) => [k, k === 'x-request-id' && isUuid(v) ? '<generated>' : v]);

describe('requestHeaderMap with edge rules = the map, then applyEdgeHeaders', () => {
  const edges: EdgeSettings[] = [];
  for (const useRemoteAddress of [true, false]) {
    for (const xffNumTrustedHops of [0, 1]) {
      for (const preserveRequestId of [true, false]) {
        for (const stripEnvoyHeaders of [true, false]) edges.push({ useRemoteAddress, xffNumTrustedHops, preserveRequestId, stripEnvoyHeaders });
      }
    }
  }
  test('500 random request heads × 16 edge settings × with and without a remote address', () => {
    const r = rng(20261206);
    for (let i = 0; i < 500; i++) {
      const req = request(r);
      for (const edge of edges) {
        for (const remote of ['192.0.2.7', undefined]) {
          const onePass = requestHeaderMap(req, edge, remote);
          const twoSteps = requestHeaderMap(req);
          applyEdgeHeaders(twoSteps, edge, remote);
          assert.deepEqual(comparable(onePass.pairs), comparable(twoSteps.pairs),
            `request ${i} ${JSON.stringify(req.rawHeaders)} edge ${JSON.stringify(edge)} remote ${remote}`);
        }
      }
    }
  });

  test('without edge settings nothing is added or dropped', () => {
    const req = request(rng(7));
    const map = requestHeaderMap(req);
    assert.equal(map.pairs.length, 4 + req.rawHeaders.length / 2 - 1);
  });
});
