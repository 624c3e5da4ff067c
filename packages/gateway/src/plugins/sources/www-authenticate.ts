/**
 * Parser for `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme and
 * comma-separated `name=value` / `name="quoted, value"` parameters. Registries send e.g.
 * `Bearer realm="https://auth/token",service="registry",scope="repository:p:pull,push"`
 * — note the comma inside the quoted scope, which a naive split would break.
 * @module
 */

/** One challenge: scheme (as sent) and parameters (names lowercased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a `WWW-Authenticate` header value into its challenges (empty for an empty header). */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skip = (chars: string) => { while (i < n && chars.includes(header[i] ?? '')) i++; };
  const token = () => {
    const start = i;
    while (i < n && !' \t,='.includes(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skip(' \t,');
    if (i >= n) break;
    const word = token();
    skip(' \t');
    if (header[i] !== '=') {
      if (word) out.push({ scheme: word, params: {} });
      continue;
    }
    i++; // '='
    skip(' \t');
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        value += header[i];
        i++;
      }
      i++; // closing quote
    } else {
      const start = i;
      while (i < n && header[i] !== ',') i++;
      value = header.slice(start, i).trim();
    }
    const current = out.at(-1);
    if (current && word) current.params[word.toLowerCase()] = value;
  }
  return out;
}
