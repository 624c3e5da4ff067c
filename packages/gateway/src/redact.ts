/**
 * The one masking helper: every place that shows configuration, errors or outcomes to someone
 * (the admin API — /config_dump, /ready, /stats.json, POST /reload —, the dashboard, reload
 * outcomes and log lines) passes its text or JSON through here, so a secret never leaves the
 * process in clear.
 *
 * Masked: the password of a URL (`http://alice:pw@host` → `http://alice:***@host`, a lone
 * `token@host` → `***@host`); the values of `Authorization`, `Proxy-Authorization`, `Cookie` and
 * `Set-Cookie` (as header lines or as JSON fields); and JSON fields named like a secret (password,
 * token, secret, auth, apiKey …). Paths that merely name a secret file (`imagePullSecret`,
 * `adminTokenFile`) are not secrets and are kept.
 * @module
 */

/** What a masked secret reads as. */
export const MASK = '***';

/** Masks the password in every `scheme://user:pass@host` (or `scheme://token@host`) of `text`. */
export function redactUrl(text: string): string {
  // `user:password@` keeps the user; a lone `token@` is all secret.
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s"'<>]*)@/gi, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon > 0 ? `${userinfo.slice(0, colon)}:${MASK}` : MASK}@`;
  });
}

/**
 * Header names whose values are credentials, as `Name: value` or `name=value` in text: a cookie to
 * the end of the line (or closing quote), any other an optional scheme word and one token.
 */
const SECRET_HEADERS = /\b(authorization|proxy-authorization|x-api-key|x-auth-token|set-cookie|cookie)(\s*[:=]\s*)("?)((?<=(?:cookie)\s*[:=]\s*"?)[^"\r\n]+|(?:(?:basic|bearer|digest|negotiate)\s+)?[^\s"',;&]+)/gi;

/** JSON field names whose string values are secrets (compared without case, `-` and `_`). */
const SECRET_KEY = /^(authorization|proxyauthorization|cookie|setcookie|password|passwd|pwd|secret|clientsecret|token|accesstoken|refreshtoken|identitytoken|registrytoken|bearer|auth|apikey|xapikey|xauthtoken|privatekey|admintoken)$/;

/** True for a JSON field name whose value is a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** A PEM private key (a TLS Secret's tls.key), whole. */
const PEM_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g;

/** Masks URL passwords, credential header values and PEM private keys in free text (messages, log lines). */
export function redactText(text: string): string {
  if (!text.includes('@') && !/auth|cookie|api-key|token|PRIVATE KEY/i.test(text)) return text;
  return redactUrl(text).replace(PEM_KEY, (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY----- ${MASK} -----END ${kind}PRIVATE KEY-----`).replace(SECRET_HEADERS, (_m, name: string, sep: string, q: string, value: string) => {
    // `Authorization: Bearer x` keeps the scheme word, which says what kind of credential it was.
    const scheme = /^(basic|bearer|digest|negotiate)\s+/i.exec(value)?.[0] ?? '';
    return `${name}${sep}${q}${scheme}${MASK}`;
  });
}

/**
 * A deep copy of `value` with every secret masked: string values of secret-named fields become
 * `***`, every other string goes through {@link redactText}. Arrays of `[name, value]` header pairs
 * are masked by name too.
 */
export function redact<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(v: unknown, key: string | undefined): unknown {
  if (typeof v === 'string') return key !== undefined && isSecretKey(key) && v !== '' ? MASK : redactText(v);
  if (Array.isArray(v)) {
    if (v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && isSecretKey(v[0])) return [v[0], MASK];
    return v.map((x) => walk(x, undefined));
  }
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
  }
  return v;
}
