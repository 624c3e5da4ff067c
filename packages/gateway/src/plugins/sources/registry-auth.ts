/**
 * Answers registry 401 challenges as Docker does: `Bearer` → fetch a token from the realm
 * (anonymously, with Basic credentials, or by exchanging an identity token), `Basic` → send the
 * credentials. Tokens are kept per scope for the life of one client.
 * @module
 */
import { sourceError, type SourceContext } from './errors.js';
import { readErrorText, send, type NetContext } from './net.js';
import type { RegistryCredentials } from './pull-secret.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** What the authenticator needs from its client. */
export interface RegistryAuthOptions {
  readonly registry: string;
  readonly credentials?: RegistryCredentials | undefined;
  readonly net: NetContext;
  /** Decides whether a plain-HTTP token realm may be used (credentials would travel in clear). */
  readonly plainHttpAllowed: (host: string) => boolean;
}

function basic(creds: RegistryCredentials): string | undefined {
  if (creds.username === undefined || creds.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

/** Holds the Authorization header to send per scope, and gets a new one when challenged. */
export class RegistryAuthenticator {
  readonly #opts: RegistryAuthOptions;
  readonly #headers = new Map<string, string>();

  constructor(opts: RegistryAuthOptions) {
    this.#opts = opts;
  }

  /** The header obtained earlier for `scope`, sent up front to save a round trip. */
  headerFor(scope: string): string | undefined {
    return this.#headers.get(scope);
  }

  /** Whether there are credentials at all (for error messages). */
  get hasCredentials(): boolean {
    return this.#opts.credentials !== undefined;
  }

  /** Answers a 401 response's challenge; returns the Authorization header to retry with. */
  async answer(challengeHeader: string | null, scope: string): Promise<string> {
    const ctx = this.#opts.net.ctx;
    const challenges = parseWwwAuthenticate(challengeHeader ?? '');
    const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
    const creds = this.#opts.credentials;
    let header: string | undefined;
    if (bearer) {
      header = creds?.registryToken ? `Bearer ${creds.registryToken}` : `Bearer ${await this.#token(bearer.params, scope, ctx)}`;
    } else if (challenges.some((c) => c.scheme.toLowerCase() === 'basic')) {
      header = creds ? basic(creds) : undefined;
      if (!header) {
        throw sourceError('WG_SOURCE_AUTH', ctx, `registry ${this.#opts.registry} requires a user name and password (Basic auth) and none were given`);
      }
    } else {
      throw sourceError('WG_SOURCE_AUTH', ctx, `registry ${this.#opts.registry} answered 401 with no usable challenge (WWW-Authenticate: ${challengeHeader ?? 'missing'})`, {
        hint: 'wasmgate understands Bearer token and Basic authentication; check that the URL points at an OCI registry.',
      });
    }
    this.#headers.set(scope, header);
    return header;
  }

  async #token(params: Readonly<Record<string, string>>, scope: string, ctx: SourceContext): Promise<string> {
    const realm = params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw sourceError('WG_SOURCE_AUTH', ctx, `registry ${this.#opts.registry} sent a Bearer challenge without a valid realm ("${realm ?? ''}")`);
    }
    if (url.protocol === 'http:' && !this.#opts.plainHttpAllowed(url.host)) {
      throw sourceError('WG_SOURCE_INSECURE', ctx, `token service ${url.origin} uses plain HTTP, which is not allowed for it`, {
        hint: `If you trust it, list "${url.host}" in insecureRegistries (CLI: --plain-http).`,
      });
    }
    const creds = this.#opts.credentials;
    const wantedScope = params.scope ?? scope;
    const headers: Record<string, string> = { accept: 'application/json' };
    let init: RequestInit;
    if (creds?.identityToken) {
      // Docker's OAuth2 flow: trade the refresh token stored by `docker login` for an access token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'wasmgate', scope: wantedScope });
      if (params.service) form.set('service', params.service);
      init = { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    } else {
      if (params.service) url.searchParams.set('service', params.service);
      for (const s of wantedScope.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
      const auth = creds ? basic(creds) : undefined;
      if (auth) headers.authorization = auth;
      init = { method: 'GET', headers };
    }
    const res = await send(url, init, { ...this.#opts.net, plainHttpIsInsecure: false });
    if (!res.ok) {
      const text = await readErrorText(res);
      const who = creds ? 'with the configured credentials' : 'anonymously';
      throw sourceError('WG_SOURCE_AUTH', ctx, `token service ${url.origin}${url.pathname} refused access ${who} (HTTP ${res.status}) for ${wantedScope}`, {
        details: text ? [text] : [],
        hint: creds
          ? 'Check the user name and password in the pull secret, and that the account may access this repository.'
          : 'The repository needs credentials: give a Docker config JSON as imagePullSecret (CLI: --pull-secret).',
      });
    }
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch (cause) {
      throw sourceError('WG_SOURCE_AUTH', ctx, `token service ${url.origin} sent a response that is not JSON`, { cause });
    }
    const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) {
      throw sourceError('WG_SOURCE_AUTH', ctx, `token service ${url.origin} sent no token`);
    }
    return token;
  }
}
