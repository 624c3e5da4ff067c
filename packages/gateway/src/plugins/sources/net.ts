/**
 * One place that turns `fetch` failures into source errors, so every source reports DNS failures,
 * refused connections, TLS problems, timeouts and plain-HTTP servers the same way.
 * @module
 */
import { sourceError, type SourceContext } from './errors.js';

/** What a request needs besides the URL: cancellation and the names to put in errors. */
export interface NetContext {
  readonly signal: AbortSignal;
  readonly ctx: SourceContext;
  /** Turns an HTTPS request answered by a plain-HTTP server into WG_SOURCE_INSECURE (registries). */
  readonly plainHttpIsInsecure?: boolean | undefined;
  /** Timeout used for the message of WG_SOURCE_TIMEOUT. */
  readonly timeoutMs?: number | undefined;
}

/** Collects `code`/`message` of an error and its causes (undici wraps socket errors in "fetch failed"). */
function causeChain(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const rec = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof rec.code === 'string') codes.push(rec.code);
    if (typeof rec.message === 'string') messages.push(rec.message);
    e = rec.cause;
  }
  return { codes, messages };
}

/** True when a TLS handshake failed because the other side answered in plain HTTP. */
function looksLikePlainHttp(codes: string[], messages: string[]): boolean {
  return codes.includes('ERR_SSL_WRONG_VERSION_NUMBER') || codes.includes('ERR_SSL_PACKET_LENGTH_TOO_LONG') ||
    messages.some((m) => /wrong version number|packet length too long|http request/i.test(m));
}

/** Converts a thrown fetch/body error into a WasmgateError (or re-throws the caller's abort reason). */
export function networkError(error: unknown, url: URL, net: NetContext): unknown {
  if (net.signal.aborted) {
    const reason: unknown = net.signal.reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      const after = net.timeoutMs ? ` after ${net.timeoutMs} ms` : '';
      return sourceError('WG_SOURCE_TIMEOUT', net.ctx, `request to ${url.host} timed out${after}`, { cause: error });
    }
    return reason; // the caller cancelled: give them back their own reason
  }
  const { codes, messages } = causeChain(error);
  const detail = messages.filter((m) => m !== 'fetch failed').at(-1) ?? messages.at(-1) ?? String(error);
  if (url.protocol === 'https:' && looksLikePlainHttp(codes, messages)) {
    if (net.plainHttpIsInsecure) {
      return sourceError('WG_SOURCE_INSECURE', net.ctx, `${url.host} answered HTTPS with plain HTTP; plain HTTP is not allowed for this registry`, {
        cause: error,
        hint: `If you trust ${url.host}, allow plain HTTP for it: list "${url.host}" in insecureRegistries (CLI: --plain-http).`,
      });
    }
    return sourceError('WG_SOURCE_UNREACHABLE', net.ctx, `${url.host} speaks plain HTTP, not HTTPS`, {
      cause: error,
      hint: `Use an http:// URL for ${url.host}, or serve it over HTTPS.`,
    });
  }
  const code = codes.find((c) => c !== 'UND_ERR_SOCKET') ?? codes[0];
  let hint: string | undefined;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = `The host name ${url.hostname} does not resolve; check its spelling and DNS.`;
  else if (code === 'ECONNREFUSED') hint = `Nothing listens on ${url.host}; check the port and that the server runs.`;
  else if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) hint = `The TLS certificate of ${url.host} is not trusted; add its CA with NODE_EXTRA_CA_CERTS.`;
  return sourceError('WG_SOURCE_UNREACHABLE', net.ctx, `cannot reach ${url.host}: ${code ? `${code} ` : ''}${detail}`, { cause: error, hint });
}

/** `fetch` with errors mapped by {@link networkError}. Redirects are followed (fetch's default). */
export async function send(url: URL, init: RequestInit, net: NetContext): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: net.signal, redirect: 'follow' });
  } catch (error) {
    throw networkError(error, url, net);
  }
}

/** Reads a whole response body, with the same error mapping (the body can fail mid-stream). */
export async function readBytes(res: Response, url: URL, net: NetContext): Promise<Uint8Array> {
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (error) {
    throw networkError(error, url, net);
  }
}

/** Reads a body for an error message: short, best effort, never throws. */
export async function readErrorText(res: Response): Promise<string> {
  try {
    const text = (await res.text()).trim();
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return '';
  }
}
