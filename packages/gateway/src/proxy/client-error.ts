/**
 * The data-plane servers' `clientError` handler: what to do when a client's bytes stop being HTTP.
 *
 * Malformed HTTP answers 400 on that connection only — unless a response to an earlier, well-formed
 * request on the same connection is still pending (a pipelined request, or bytes after a
 * `Connection: close` request): a 400 written then would be taken as the answer to that request, or
 * corrupt it mid-body. Then that response (and any queued behind it) is finished first and the
 * connection closed after it, without a 400, as Node's own default handler and Envoy do.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

/** The response Node has attached to the socket (the one being written), if any. */
function pendingResponse(socket: Duplex): ServerResponse | undefined {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

/**
 * Connections the lean HTTP/1 server handed to node:http with a request that was pipelined behind
 * one it had answered (h1/lean-server.ts): node:http sees them fresh, but for the rule above that
 * earlier response was pending when these bytes arrived, so a malformed head there ends the
 * connection without a 400, exactly as when node:http had parsed it behind the pending response.
 */
export const pipelinedHandOvers = new WeakSet<object>();

export function onClientError(_err: Error, socket: Duplex): void {
  const pending = pendingResponse(socket);
  if (!pending && pipelinedHandOvers.has(socket)) return void socket.end();
  // A request whose own body turned out malformed is not a good first request: it ends here.
  if (pending && pending.req.complete) return closeAfterResponses(socket);
  if (socket.writable && !pending?.headersSent) socket.end(BAD_REQUEST);
  else socket.destroy();
}

/** Lets every response still owed on the connection finish, then ends the connection. */
function closeAfterResponses(socket: Duplex): void {
  const res = pendingResponse(socket);
  if (!res) return void socket.end();
  let moved = false;
  // Node detaches a finished response and attaches the next queued one in its own 'finish' listener.
  const next = () => {
    if (moved) return;
    moved = true;
    setImmediate(() => {
      if (!socket.destroyed) closeAfterResponses(socket);
    });
  };
  res.once('finish', next);
  res.once('close', next);
}
