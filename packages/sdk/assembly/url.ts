// Just enough URL splitting for callouts and route calls: `http://host:port/path?q` or `/path?q`.

export class ParsedUrl {
  host: string = "";
  /** Path with query, always starting with "/". */
  path: string = "/";
}

export function parseUrl(url: string): ParsedUrl {
  const out = new ParsedUrl();
  let rest = url;
  const scheme = rest.indexOf("://");
  if (scheme >= 0) {
    rest = rest.substring(scheme + 3);
    let slash = rest.indexOf("/");
    const q = rest.indexOf("?");
    if (q >= 0 && (slash < 0 || q < slash)) slash = q;
    if (slash < 0) {
      out.host = rest;
      rest = "/";
    } else {
      out.host = rest.substring(0, slash);
      rest = rest.substring(slash);
    }
  }
  // The fragment never goes on the wire.
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.substring(0, hash);
  if (rest.length == 0) rest = "/";
  if (!rest.startsWith("/")) rest = "/" + rest;
  out.path = rest;
  return out;
}
