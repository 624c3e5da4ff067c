/**
 * What the host's attributes read about one exchange (`request.*`, `source.*`, `connection.*`,
 * `route_name`, `upstream.*`): fixed values taken when the request arrived, and three that follow
 * the exchange (the route may be picked again; the upstream is known once the request went out).
 */
import { threadId } from 'node:worker_threads';
import type { IncomingMessage } from 'node:http';
import type { Peer, StreamFacts, TlsFacts, UpstreamFacts } from '@wasmgate/host';
import type { RouteConfig } from '../config/types.js';
import { tlsFactsOf } from './tls-server.js';

/** The parts of an exchange that change while it runs. */
export interface ExchangeState {
  readonly route: RouteConfig | undefined;
  readonly upstreamFacts: UpstreamFacts | undefined;
}

type DownstreamSocket = IncomingMessage['socket'];

let nextConnectionId = 1;
/**
 * connection.id must be unique in the process, and every worker thread counts its own connections:
 * the low 16 bits carry the thread id (Node numbers threads from 1; the main thread is 0).
 */
const connectionIdTag = BigInt(threadId & 0xffff);
const connectionIds = new WeakMap<object, number>();

/** Envoy's TrafficDirection OUTBOUND: how Istio (and so Higress) configures gateway listeners. */
const LISTENER_OUTBOUND = 2n;

export class ExchangeFacts implements StreamFacts {
  readonly #startedMs: number;
  readonly #connection: number;
  readonly protocol: string;
  readonly scheme: string;
  readonly source: Peer | undefined;
  readonly destination: Peer | undefined;
  readonly requestedServerName: string;
  readonly listenerDirection = LISTENER_OUTBOUND;
  readonly #socket: DownstreamSocket;
  readonly #state: ExchangeState;

  constructor(req: IncomingMessage, startedMs: number, state: ExchangeState) {
    // HTTP/2 (TLS listener): the session's socket, not the compatibility API's per-stream proxy of it.
    const socket = (req as { stream?: { session?: { socket?: DownstreamSocket } } }).stream?.session?.socket ?? req.socket;
    let id = connectionIds.get(socket);
    if (id === undefined) connectionIds.set(socket, (id = nextConnectionId++));
    this.#socket = socket;
    this.#state = state;
    this.#startedMs = startedMs;
    this.#connection = id;
    this.protocol = req.httpVersionMajor === 2 ? 'HTTP/2' : req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`;
    this.scheme = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    this.source = peer(socket.remoteAddress, socket.remotePort);
    this.destination = peer(socket.localAddress, socket.localPort);
    this.requestedServerName = (socket as { servername?: string | false }).servername || '';
  }

  // The two bigint facts are made when read (a plugin's attribute or the access log): an exchange
  // through no plugin and no access log reads neither.
  get startNanos(): bigint {
    return BigInt(this.#startedMs) * 1_000_000n;
  }

  get connectionId(): bigint {
    return (BigInt(this.#connection) << 16n) | connectionIdTag;
  }

  nowNanos(): bigint {
    return BigInt(Date.now()) * 1_000_000n;
  }

  tls(): TlsFacts | undefined {
    return tlsFactsOf(this.#socket);
  }

  routeName(): string | undefined {
    return this.#state.route?.name;
  }

  clusterName(): string | undefined {
    return this.#state.route?.clusterName;
  }

  upstream(): UpstreamFacts | undefined {
    return this.#state.upstreamFacts;
  }
}

function peer(ip: string | undefined, port: number | undefined): Peer | undefined {
  return ip === undefined || port === undefined ? undefined : { ip, port };
}
