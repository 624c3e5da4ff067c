/**
 * A minimal OCI distribution API client: manifests and blobs, pull and push, with Docker-style
 * token auth (see registry-auth.ts). HTTPS unless the registry is listed as allowed over plain HTTP.
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 * @module
 */
import { digestOf, parseDigest } from './digest.js';
import { sourceError, type SourceContext } from './errors.js';
import { MANIFEST_ACCEPT, type Descriptor } from './media-types.js';
import { readBytes, readErrorText, send, type NetContext } from './net.js';
import { apiHost, type OciRef } from './oci-ref.js';
import type { RegistryCredentials } from './pull-secret.js';
import { RegistryAuthenticator } from './registry-auth.js';

/** How to reach one repository. */
export interface RegistryClientOptions {
  readonly ref: OciRef;
  readonly ctx: SourceContext;
  readonly signal: AbortSignal;
  readonly timeoutMs?: number | undefined;
  /** `host:port` (or `host`, any port) allowed over plain HTTP. */
  readonly insecureRegistries?: readonly string[] | undefined;
  readonly credentials?: RegistryCredentials | undefined;
  /** Ask for push as well as pull access. */
  readonly push?: boolean | undefined;
}

/** A manifest as fetched: its exact bytes (digests are over them), media type and digest. */
export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
}

/** True when `host` (`host:port`) matches an entry of `list` (`host:port`, or `host` for any port). */
export function isPlainHttpAllowed(host: string, list: readonly string[]): boolean {
  const h = host.toLowerCase();
  const bare = h.replace(/:\d+$/, '');
  return list.some((entry) => {
    const e = entry.toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    return e === h || e === bare;
  });
}

/** Talks to `/v2/<repository>/…` of one registry. */
export class RegistryClient {
  readonly #opts: RegistryClientOptions;
  readonly #base: URL;
  readonly #net: NetContext;
  readonly #auth: RegistryAuthenticator;
  readonly #scope: string;

  constructor(opts: RegistryClientOptions) {
    this.#opts = opts;
    const insecure = opts.insecureRegistries ?? [];
    const host = apiHost(opts.ref.registry);
    const scheme = isPlainHttpAllowed(opts.ref.registry, insecure) ? 'http' : 'https';
    this.#base = new URL(`${scheme}://${host}/v2/${opts.ref.repository}/`);
    this.#net = { signal: opts.signal, ctx: opts.ctx, timeoutMs: opts.timeoutMs, plainHttpIsInsecure: true };
    this.#scope = `repository:${opts.ref.repository}:${opts.push ? 'pull,push' : 'pull'}`;
    this.#auth = new RegistryAuthenticator({
      registry: opts.ref.registry,
      credentials: opts.credentials,
      net: this.#net,
      // A plain-HTTP realm is fine when the registry itself is reached over plain HTTP already.
      plainHttpAllowed: (realmHost) => scheme === 'http' || isPlainHttpAllowed(realmHost, insecure),
    });
  }

  /** Sends a request relative to `/v2/<repo>/` (or to an absolute URL), answering one 401 challenge. */
  async request(method: string, target: string | URL, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Response> {
    const url = typeof target === 'string' ? new URL(target, this.#base) : target;
    const attempt = (auth: string | undefined) => {
      const h: Record<string, string> = { ...headers };
      if (auth) h.authorization = auth;
      return send(url, { method, headers: h, body }, this.#net);
    };
    let res = await attempt(this.#auth.headerFor(this.#scope));
    if (res.status === 401) {
      await res.body?.cancel();
      res = await attempt(await this.#auth.answer(res.headers.get('www-authenticate'), this.#scope));
      if (res.status === 401) {
        await res.body?.cancel();
        throw sourceError('WG_SOURCE_AUTH', this.#opts.ctx, `registry ${this.#opts.ref.registry} rejected the ${this.#auth.hasCredentials ? 'credentials' : 'anonymous token'} for ${this.#scope}`);
      }
    }
    if (res.status === 403) {
      const text = await readErrorText(res);
      throw sourceError('WG_SOURCE_AUTH', this.#opts.ctx, `registry ${this.#opts.ref.registry} denied ${method} ${url.pathname} (HTTP 403)`, { details: text ? [text] : [] });
    }
    return res;
  }

  /** Fetches a manifest by tag or digest; the digest is computed over the bytes received. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `manifests/${reference}`, { accept: MANIFEST_ACCEPT });
    if (!res.ok) throw await this.#statusError(res, `manifest ${reference}`);
    const bytes = await readBytes(res, this.#base, this.#net);
    const pinned = parseDigest(reference);
    const digest = digestOf(bytes, pinned?.algorithm ?? 'sha256');
    if (pinned && digest !== reference) {
      throw sourceError('WG_SOURCE_DIGEST_MISMATCH', this.#opts.ctx, `registry served a manifest with digest ${digest} for ${reference}`);
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { bytes, mediaType, digest };
  }

  /** Downloads a blob (following redirects to storage) and checks its size and digest. */
  async getBlob(desc: Descriptor): Promise<Uint8Array> {
    const res = await this.request('GET', `blobs/${desc.digest}`);
    if (!res.ok) throw await this.#statusError(res, `blob ${desc.digest}`);
    const bytes = await readBytes(res, this.#base, this.#net);
    const alg = parseDigest(desc.digest)?.algorithm;
    const actual = alg ? digestOf(bytes, alg) : undefined;
    if (actual !== desc.digest || (Number.isSafeInteger(desc.size) && bytes.length !== desc.size)) {
      throw sourceError('WG_SOURCE_DIGEST_MISMATCH', this.#opts.ctx, `blob ${desc.digest} arrived corrupted (${bytes.length} bytes, expected ${desc.size}; digest ${actual ?? 'unsupported'})`, {
        hint: 'Retry; if it persists, the registry storage or a proxy in between alters the content.',
      });
    }
    return bytes;
  }

  /** Whether the repository already has a blob (HEAD), so a push can skip it. */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `blobs/${digest}`);
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw await this.#statusError(res, `blob ${digest}`);
    return true;
  }

  /** Uploads a blob monolithically (POST then PUT ?digest=), unless the registry has it already. */
  async uploadBlob(bytes: Uint8Array, digest: string): Promise<void> {
    if (await this.hasBlob(digest)) return;
    const start = await this.request('POST', 'blobs/uploads/');
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await this.#statusError(start, 'blob upload', location ? undefined : 'no Location header');
    // Location may be relative and may already carry a query (upload state); keep it and add the digest.
    const target = new URL(location, start.url || this.#base);
    target.searchParams.set('digest', digest);
    const res = await this.request('PUT', target, { 'content-type': 'application/octet-stream' }, bytes);
    if (res.status !== 201) throw await this.#statusError(res, `blob ${digest} upload`);
    await res.body?.cancel();
  }

  /** Stores a manifest under a tag (or digest); returns the digest the registry reports. */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `manifests/${reference}`, { 'content-type': mediaType }, bytes);
    if (res.status !== 201 && !res.ok) throw await this.#statusError(res, `manifest ${reference}`);
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? digestOf(bytes);
  }

  /** WG_SOURCE_HTTP_STATUS with the registry's error codes (MANIFEST_UNKNOWN, NAME_UNKNOWN, …). */
  async #statusError(res: Response, what: string, extra?: string): Promise<Error> {
    const text = await readErrorText(res);
    let codes = '';
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      codes = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch { /* not the OCI error format */ }
    const repo = `${this.#opts.ref.registry}/${this.#opts.ref.repository}`;
    const hint = res.status === 404
      ? `Check that ${repo} exists and has that tag or digest; push it with "wasmgate oci push".`
      : res.status >= 500 ? 'The registry failed; retry later or look at its logs.' : undefined;
    const why = [codes || text, extra].filter(Boolean).join('; ');
    return sourceError('WG_SOURCE_HTTP_STATUS', this.#opts.ctx, `registry answered HTTP ${res.status} for ${what} of ${repo}${why ? ` (${why})` : ''}`, {
      hint,
      details: [`status: ${res.status}`],
    });
  }
}
