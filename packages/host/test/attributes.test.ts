/**
 * The attribute resolver (src/attributes/): path forms, Envoy types and encodings, and the facts
 * the chain keeps (sizes, response code and details, completion time). Issue 14.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeKey, attributePath, encodeProperty, HeaderMap, HttpStream, ResponseFlag, upstreamFailure, type StreamFacts, type StreamSink } from '@wasmgate/host';

const sink = (): StreamSink => ({
  requestHeaders() {}, requestData() {}, requestTrailers() {}, responseHeaders() {}, responseData() {}, responseTrailers() {},
  abortUpstream() {}, reset() {},
});

function stream(facts: StreamFacts = {}): HttpStream {
  return new HttpStream([], sink(), { facts });
}

describe('attribute paths', () => {
  test('NUL segments and one dotted segment name the same attribute', () => {
    assert.deepEqual(attributePath(['response', 'code_details']), ['response', 'code_details']);
    assert.deepEqual(attributePath(['response.code_details']), ['response', 'code_details']);
    assert.deepEqual(attributePath(['request.headers.x-a.b']), ['request', 'headers', 'x-a.b'], 'a header name keeps its dots');
    assert.deepEqual(attributePath(['route_name']), ['route_name']);
    assert.equal(attributeKey(['response', 'code_details']), attributeKey(['response.code_details']));
  });
});

describe('resolver over a chain without filters', () => {
  test('request attributes follow the live headers; sizes count body bytes', () => {
    const s = stream({ startNanos: 5n, nowNanos: () => 105n, protocol: 'HTTP/1.1' });
    s.requestHeaders(new HeaderMap([[':method', 'POST'], [':path', '/a/b?q=1'], [':authority', 'h.test'], ['x-k', '1'], ['x-k', '2']]), false);
    s.requestData(new Uint8Array(7), true);
    for (const p of [['request', 'path'], ['request.path']]) assert.equal(s.property(p), '/a/b?q=1');
    assert.equal(s.property(['request', 'url_path']), '/a/b');
    assert.equal(s.property(['request', 'query']), 'q=1');
    assert.equal(s.property(['request', 'headers', 'x-k']), '1,2', 'repeated values joined by a comma');
    assert.deepEqual(s.property(['request.headers']), { map: [[':method', 'POST'], [':path', '/a/b?q=1'], [':authority', 'h.test'], ['x-k', '1,2']] });
    assert.equal(s.property(['request', 'size']), 7n);
    assert.equal(s.property(['request', 'time']), 5n);
    assert.equal(s.property(['request', 'duration']), undefined, 'NotFound while the stream runs');
    s.finish();
    assert.equal(s.property(['request', 'duration']), 100n, 'completion − start, in proxy_on_log');
  });

  test('response attributes: code, details, flags, grpc_status, trailers', () => {
    const s = stream();
    s.requestHeaders(new HeaderMap([[':method', 'GET'], [':path', '/']]), true);
    assert.equal(s.property(['response', 'code']), undefined);
    assert.equal(s.property(['response', 'code_details']), undefined);
    assert.equal(s.property(['response', 'flags']), 0n);
    s.responseHeaders(new HeaderMap([[':status', '200']]), false);
    s.responseData(new Uint8Array(3), false);
    s.responseTrailers(new HeaderMap([['grpc-status', '14']]));
    assert.equal(s.property(['response.code']), 200n);
    assert.equal(s.property(['response', 'code_details']), 'via_upstream');
    assert.equal(s.property(['response', 'grpc_status']), 14n);
    assert.equal(s.property(['response', 'size']), 3n);
    assert.deepEqual(s.property(['response.trailers']), { map: [['grpc-status', '14']] });
    assert.equal(s.property(['response', 'total_size']), BigInt(3 + ':status'.length + 3 + 'grpc-status'.length + 2));
  });

  test('upstreamFailed: a local reply before the headers, a reset after, with Envoy details and flags', () => {
    const before = stream();
    before.requestHeaders(new HeaderMap([[':path', '/']]), true);
    before.upstreamFailed('connection_failure', { status: 503, body: new Uint8Array(0), headers: [], grpcStatus: undefined });
    assert.equal(before.property(['response', 'code']), 503n);
    assert.equal(before.property(['response', 'code_details']), 'upstream_reset_before_response_started{connection_failure}');
    assert.equal(before.property(['response', 'flags']), BigInt(ResponseFlag.UpstreamConnectionFailure));
    const after = stream();
    after.requestHeaders(new HeaderMap([[':path', '/']]), true);
    after.responseHeaders(new HeaderMap([[':status', '200']]), false);
    after.upstreamFailed('remote_reset', { status: 503, body: new Uint8Array(0), headers: [], grpcStatus: undefined });
    assert.equal(after.resetReason, 'upstream remote reset');
    assert.equal(after.property(['response.code_details']), 'upstream_reset_after_response_started{remote_reset}');
    assert.deepEqual(upstreamFailure('timeout', true), { details: 'upstream_response_timeout', flag: ResponseFlag.UpstreamRequestTimeout });
  });

  test('embedder facts: peers as ip:port ([ip]:port for IPv6), ids, upstream; encodings as Envoy', () => {
    const s = stream({
      source: { ip: '::1', port: 9 }, destination: { ip: '10.0.0.1', port: 80 }, connectionId: 3n, requestedServerName: '',
      routeName: () => 'ns/r', clusterName: () => 'c', upstream: () => ({ address: { ip: '10.0.0.2', port: 8080 }, transportFailureReason: '' }),
    });
    assert.equal(s.property(['source', 'address']), '[::1]:9');
    assert.equal(s.property(['destination.port']), 80n);
    assert.deepEqual(encodeProperty(s.property(['connection', 'id'])!), new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
    assert.deepEqual(encodeProperty(s.property(['connection', 'mtls'])!), new Uint8Array([0]));
    assert.equal(s.property(['connection', 'tls_version']), undefined);
    assert.equal(s.property(['xds', 'route_name']), 'ns/r');
    assert.equal(s.property(['route_name']), 'ns/r');
    assert.equal(s.property(['upstream.address']), '10.0.0.2:8080');
    assert.equal(s.property(['upstream', 'local_address']), undefined, 'NotFound when the embedder does not know it');
    assert.equal(s.property(['request']), undefined, 'a whole group is NotFound');
  });
});
