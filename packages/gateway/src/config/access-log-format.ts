/**
 * Envoy access-log format strings (`%REQ(:PATH)%`, `%START_TIME(%s.%3f)%`, …) and `json_format`
 * mappings, parsed once at config load into plain data (`AccessLogFormat`) that crosses to the
 * workers by structured clone; `proxy/access-log.ts` compiles it into the formatter that runs per
 * request. Unknown operators and malformed commands are reported with the character they start at.
 * @module
 */

/** What an operator's value is, for `jsonFormat` typing (numbers stay numbers). */
export type OperatorType = 'string' | 'number' | 'typed';

/** A command operator as written, checked. */
export interface OperatorToken {
  readonly op: string;
  /** REQ/RESP/TRAILER/REQ_WITHOUT_QUERY: the header, lowercase; FILTER_STATE: the key. */
  readonly arg?: string;
  /** REQ/RESP/TRAILER `X?Y`: the header tried when X is missing, lowercase. */
  readonly alt?: string;
  /** `:Z`: at most Z characters of a string value. */
  readonly max?: number;
  /** START_TIME: the strftime-like format; FILTER_STATE: PLAIN or TYPED. */
  readonly fmt?: string;
}

/** A format string: literal text and operators, in order. */
export type FormatToken = string | OperatorToken;

/** A `jsonFormat` value: a format string, a constant, or a nested mapping. */
export type JsonFormatValue =
  | { readonly tokens: readonly FormatToken[] }
  | { readonly constant: number | boolean | null }
  | { readonly fields: readonly (readonly [string, JsonFormatValue])[] };

/** A compiled-to-data access-log format; absent = the built-in JSON line. */
export type AccessLogFormat =
  | { readonly kind: 'text'; readonly tokens: readonly FormatToken[] }
  | { readonly kind: 'json'; readonly fields: readonly (readonly [string, JsonFormatValue])[] };

/** Operators that take `(X)`: required (`true`) or optional (`false`); the rest take none. */
const OPERATORS: Readonly<Record<string, { readonly arg: 'header' | 'time' | 'filter-state' | 'none'; readonly type: OperatorType }>> = {
  START_TIME: { arg: 'time', type: 'string' },
  REQ: { arg: 'header', type: 'string' },
  REQ_WITHOUT_QUERY: { arg: 'header', type: 'string' },
  RESP: { arg: 'header', type: 'string' },
  TRAILER: { arg: 'header', type: 'string' },
  DURATION: { arg: 'none', type: 'number' },
  REQUEST_DURATION: { arg: 'none', type: 'number' },
  RESPONSE_DURATION: { arg: 'none', type: 'number' },
  RESPONSE_CODE: { arg: 'none', type: 'number' },
  RESPONSE_CODE_DETAILS: { arg: 'none', type: 'string' },
  RESPONSE_FLAGS: { arg: 'none', type: 'string' },
  BYTES_RECEIVED: { arg: 'none', type: 'number' },
  BYTES_SENT: { arg: 'none', type: 'number' },
  PROTOCOL: { arg: 'none', type: 'string' },
  UPSTREAM_HOST: { arg: 'none', type: 'string' },
  UPSTREAM_CLUSTER: { arg: 'none', type: 'string' },
  UPSTREAM_LOCAL_ADDRESS: { arg: 'none', type: 'string' },
  UPSTREAM_TRANSPORT_FAILURE_REASON: { arg: 'none', type: 'string' },
  ROUTE_NAME: { arg: 'none', type: 'string' },
  DOWNSTREAM_REMOTE_ADDRESS: { arg: 'none', type: 'string' },
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: { arg: 'none', type: 'string' },
  DOWNSTREAM_LOCAL_ADDRESS: { arg: 'none', type: 'string' },
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: { arg: 'none', type: 'string' },
  FILTER_STATE: { arg: 'filter-state', type: 'typed' },
  CONNECTION_ID: { arg: 'none', type: 'number' },
  HOSTNAME: { arg: 'none', type: 'string' },
};

/** Every operator wasmgate knows, for docs and did-you-mean. */
export const ACCESS_LOG_OPERATORS: readonly string[] = Object.keys(OPERATORS);

/** The JSON type of an operator's value. */
export function operatorType(t: OperatorToken): OperatorType {
  if (t.op === 'FILTER_STATE') return t.fmt === 'PLAIN' ? 'string' : 'typed';
  return OPERATORS[t.op]?.type ?? 'string';
}

/** Envoy's default format (the `format: default` keyword). */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

/** strftime-like specifiers START_TIME accepts (after `%`); `E<n>S`, `E*S`, `<n>f` are checked apart. */
const TIME_SPECIFIERS = new Set(['Y', 'y', 'm', 'd', 'e', 'H', 'I', 'M', 'S', 'p', 'j', 'a', 'A', 'b', 'h', 'B', 'z', 'Ez', 'Z', 's', 'f', 'T', 'F', 'D', 'R', 'n', 't', '%']);

/** A problem in a format string: the message and the 0-based index of the character it starts at. */
export interface FormatProblem {
  readonly message: string;
  readonly index: number;
}

/** Parses a format string; throws a FormatProblem-shaped error on the first problem. */
export function parseFormatString(text: string): { tokens: FormatToken[] } | { problem: FormatProblem } {
  const tokens: FormatToken[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const pct = text.indexOf('%', i);
    if (pct < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, pct);
    if (text[pct + 1] === '%') {
      literal += '%';
      i = pct + 2;
      continue;
    }
    const name = /^[A-Z][A-Z0-9_]*/.exec(text.slice(pct + 1))?.[0];
    if (!name) return { problem: { index: pct, message: `a "%" that starts no command operator (write "%%" for a literal %)` } };
    let j = pct + 1 + name.length;
    let arg: string | undefined;
    if (text[j] === '(') {
      // The argument ends at the ")" followed by "%" or ":<digits>%" (START_TIME's format holds "%").
      const close = /\)(?=%|:\d+%)/g;
      close.lastIndex = j + 1;
      const m = close.exec(text);
      if (!m) return { problem: { index: pct, message: `%${name}(… is not closed by ")%"` } };
      arg = text.slice(j + 1, m.index);
      j = m.index + 1;
    }
    let max: number | undefined;
    const trunc = /^:(\d+)/.exec(text.slice(j));
    if (trunc) {
      max = Number(trunc[1]);
      j += trunc[0].length;
    }
    if (text[j] !== '%') return { problem: { index: pct, message: `%${name}… is not closed by "%"` } };
    const spec = OPERATORS[name];
    const written = text.slice(pct, j + 1);
    if (!spec) {
      const hint = didYouMean(name);
      return { problem: { index: pct, message: `unknown command operator ${written}${hint ? `; did you mean %${hint}%?` : ''}` } };
    }
    const token = operator(name, spec.arg, arg, max, written);
    if ('problem' in token) return { problem: { index: pct, message: token.problem } };
    if (literal) tokens.push(literal);
    literal = '';
    tokens.push(token);
    i = j + 1;
  }
  if (literal) tokens.push(literal);
  return { tokens };
}

function operator(op: string, kind: 'header' | 'time' | 'filter-state' | 'none', arg: string | undefined, max: number | undefined, written: string): OperatorToken | { problem: string } {
  const base = max !== undefined ? { op, max } : { op };
  if (kind === 'none') return arg === undefined ? base : { problem: `${written}: %${op}% takes no argument` };
  if (kind === 'time') {
    if (arg === undefined || arg === '') return base;
    const bad = checkTimeFormat(arg);
    return bad ? { problem: `${written}: ${bad}` } : { ...base, fmt: arg };
  }
  if (arg === undefined || arg === '') return { problem: `${written}: %${op}(…)% needs an argument` };
  if (kind === 'filter-state') {
    const [key, fmt = 'TYPED', ...rest] = arg.split(':');
    if (!key) return { problem: `${written}: the filter state key is empty` };
    if (rest.length > 0) return { problem: `${written}: FILTER_STATE takes KEY or KEY:PLAIN or KEY:TYPED` };
    if (fmt !== 'PLAIN' && fmt !== 'TYPED') return { problem: `${written}: the serialization must be PLAIN or TYPED, not "${fmt}"` };
    return { ...base, arg: key, fmt };
  }
  const [main, alt, ...rest] = arg.split('?');
  if (rest.length > 0 || !main || alt === '') return { problem: `${written}: a header is written X or X?Y` };
  const header = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  for (const h of [main, alt]) {
    if (h !== undefined && !header.test(h)) return { problem: `${written}: "${h}" is not a header name` };
  }
  return { ...base, arg: main.toLowerCase(), ...(alt !== undefined ? { alt: alt.toLowerCase() } : {}) };
}

/** Undefined when every `%` of a START_TIME format is one the formatter knows. */
function checkTimeFormat(fmt: string): string | undefined {
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') continue;
    const rest = fmt.slice(i + 1);
    const m = /^(E[1-9*]S|[1-9]f|Ez|.)/s.exec(rest);
    if (!m || !(TIME_SPECIFIERS.has(m[0]) || /^(E[1-9*]S|[1-9]f)$/.test(m[0]))) {
      return `unknown time specifier "%${rest[0] ?? ''}" in the START_TIME format (known: %Y %m %d %H %M %S %z %s %f %1f…%9f %E3S %E*S %j %a %b %T %F …)`;
    }
    i += m[0].length;
  }
  return undefined;
}

function didYouMean(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of ACCESS_LOG_OPERATORS) {
    const d = distance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** A problem in a `jsonFormat` value, at `path` below `jsonFormat`. */
export interface JsonFormatProblem extends FormatProblem {
  readonly path: readonly string[];
}

/** Parses a `jsonFormat` mapping: strings are format strings, numbers/booleans/null constants, mappings nest. */
export function parseJsonFormat(value: Record<string, unknown>, path: readonly string[] = []): { fields: [string, JsonFormatValue][] } | { problem: JsonFormatProblem } {
  const fields: [string, JsonFormatValue][] = [];
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key];
    if (typeof v === 'string') {
      const parsed = parseFormatString(v);
      if ('problem' in parsed) return { problem: { ...parsed.problem, path: at } };
      fields.push([key, { tokens: parsed.tokens }]);
    } else if (typeof v === 'number' || typeof v === 'boolean' || v === null) {
      fields.push([key, { constant: v }]);
    } else if (typeof v === 'object' && !Array.isArray(v)) {
      const nested = parseJsonFormat(v as Record<string, unknown>, at);
      if ('problem' in nested) return nested;
      fields.push([key, { fields: nested.fields }]);
    } else {
      return { problem: { index: 0, path: at, message: 'a jsonFormat value must be a format string, a number, true/false, null or a mapping, not a list' } };
    }
  }
  return { fields };
}
