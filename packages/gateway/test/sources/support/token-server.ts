/**
 * A Docker-style token service for tests: `GET /token?service=…&scope=…` answers a JWT (ES256,
 * `x5c` header carrying the signing certificate, which is how distribution 2.8 finds the key).
 * Anonymous callers get pull access only; known users get what they ask for; a wrong password
 * gets 401. Also answers the OAuth2 refresh-token POST for `identitytoken` credentials.
 */
import { randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCert, type SelfSigned } from './x509.js';

/** A running token service. */
export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly cert: SelfSigned;
  /** Every request seen: who asked (user or "anonymous") and for what scopes. */
  readonly requests: { user: string; scopes: string[]; method: string }[];
  close(): Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** Starts the service on 127.0.0.1:0. `users` maps user name → password; `refreshTokens` → user. */
export async function startTokenServer(opts: { users?: Record<string, string>; refreshTokens?: Record<string, string>; anonymousPull?: boolean } = {}): Promise<TokenServer> {
  const cert = selfSignedCert('wasmgate-test-token-signer');
  const service = 'wasmgate-test-registry';
  const issuer = 'wasmgate-test-issuer';
  const requests: TokenServer['requests'] = [];
  const token = (user: string, scopes: string[]) => {
    const access = scopes.map((s) => {
      const [type = '', name = '', actions = ''] = s.split(':');
      const wanted = actions.split(',').filter(Boolean);
      const granted = user === 'anonymous' ? (opts.anonymousPull === false ? [] : wanted.filter((a) => a === 'pull')) : wanted;
      return { type, name, actions: granted };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [cert.der.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 60, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: cert.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let user = 'anonymous';
      let scopes = url.searchParams.getAll('scope');
      if (req.method === 'POST') {
        const form = new URLSearchParams(await body(req));
        const owner = opts.refreshTokens?.[form.get('refresh_token') ?? ''];
        if (!owner) { res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}'); return; }
        user = owner;
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      } else if (req.headers.authorization?.startsWith('Basic ')) {
        const [name = '', pass = ''] = Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':');
        if (opts.users?.[name] === undefined || opts.users[name] !== pass) {
          requests.push({ user: `rejected:${name}`, scopes, method: req.method ?? '' });
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
          return;
        }
        user = name;
      }
      requests.push({ user, scopes, method: req.method ?? '' });
      const t = token(user, scopes);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.method === 'POST' ? { access_token: t, expires_in: 300 } : { token: t, expires_in: 300 }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    cert,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
