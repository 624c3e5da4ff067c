// Experiment (issue "Speed", last goal): the bare Node proxy of bench/peers/undici-proxy.mjs with
// node:http's server replaced by a server on `net` with its own strict HTTP/1.1 request parser.
// Same upstream side (one undici Pool, pool.request), so the difference between the two is the
// server side alone. Not used by wasmgate; bench/experiments/lean-h1.mjs runs both side by side.
//   node lean-h1-proxy.mjs PORT ORIGIN_PORT
//
// What the parser enforces (RFC 9112), so that the comparison is with an equally strict server:
// CRLF line endings only; request-line = token SP target SP HTTP/1.0|HTTP/1.1 (no extra spaces,
// visible ASCII target); field-name = token with the colon right after it; field values of
// VCHAR/obs-text/SP/HTAB; no obs-fold; 1.1 needs exactly one Host; Content-Length digits only and
// every copy equal; Transfer-Encoding only "chunked", and never with Content-Length; a 16 KiB
// header block. Any violation: 400 and close. Chunked request bodies are decoded strictly (hex
// sizes, CRLF after every chunk, no trailers beyond the empty line) — enough for the experiment;
// the measured path is GET.
import { createServer } from 'node:net';
import { Pool } from 'undici';

const [port, originPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${originPort}`, { connections: 128, pipelining: 1, keepAliveTimeout: 120_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const MAX_HEAD = 16 * 1024;

// Character classes as lookup tables (token: RFC 9110 tchar; value: VCHAR / obs-text / SP / HTAB).
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
const VALUE = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) VALUE[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VALUE[c] = 1;
VALUE[0x09] = 1;
const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;

class BadRequest extends Error {}

/** Parses one request head in buf[0, end) (end = index of the blank line's CRLF). */
function parseHead(buf, end) {
  let i = 0;
  const lineEnd = (from) => {
    const j = buf.indexOf(13, from);
    if (j < 0 || j > end || buf[j + 1] !== 10) throw new BadRequest('line');
    const lf = buf.indexOf(10, from);
    if (lf !== j + 1) throw new BadRequest('bare LF');
    return j;
  };
  const rl = lineEnd(0);
  let sp = i;
  while (sp < rl && TCHAR[buf[sp]]) sp++;
  if (sp === 0 || buf[sp] !== 0x20) throw new BadRequest('method');
  const method = buf.latin1Slice(0, sp);
  let t = sp + 1;
  while (t < rl && TARGET[buf[t]]) t++;
  if (t === sp + 1 || buf[t] !== 0x20) throw new BadRequest('target');
  const target = buf.latin1Slice(sp + 1, t);
  const version = buf.latin1Slice(t + 1, rl);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new BadRequest('version');
  const headers = [];
  let host = 0, cl = -1, te = false, close = version === 'HTTP/1.0';
  i = rl + 2;
  while (i < end + 2) {
    const le = lineEnd(i);
    if (le === i) break;
    if (buf[i] === 0x20 || buf[i] === 0x09) throw new BadRequest('obs-fold');
    let c = i;
    while (c < le && TCHAR[buf[c]]) c++;
    if (c === i || buf[c] !== 0x3a) throw new BadRequest('field name');
    let vs = c + 1;
    while (vs < le && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
    let ve = le;
    while (ve > vs && (buf[ve - 1] === 0x20 || buf[ve - 1] === 0x09)) ve--;
    for (let k = vs; k < ve; k++) if (!VALUE[buf[k]]) throw new BadRequest('field value');
    const name = buf.latin1Slice(i, c).toLowerCase();
    const value = buf.latin1Slice(vs, ve);
    if (name === 'host') host++;
    else if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value) || (cl >= 0 && Number(value) !== cl)) throw new BadRequest('content-length');
      cl = Number(value);
    } else if (name === 'transfer-encoding') {
      if (value.toLowerCase() !== 'chunked' || te) throw new BadRequest('transfer-encoding');
      te = true;
    } else if (name === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
    headers.push(name, value);
    i = le + 2;
  }
  if (version === 'HTTP/1.1' && host !== 1) throw new BadRequest('host');
  if (te && cl >= 0) throw new BadRequest('cl+te');
  return { method, target, headers, cl: te ? -2 : Math.max(cl, 0), close };
}

createServer({ noDelay: true }, (socket) => {
  let buf = Buffer.alloc(0);
  let busy = false;
  const fail = () => { socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'); };
  const pump = () => {
    if (busy) return;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) { if (buf.length > MAX_HEAD) fail(); return; }
    let req;
    try { req = parseHead(buf, headEnd); } catch { return fail(); }
    let bodyEnd = headEnd + 4;
    let body = null;
    if (req.cl > 0) {
      if (buf.length < bodyEnd + req.cl) return;
      body = buf.subarray(bodyEnd, bodyEnd + req.cl);
      bodyEnd += req.cl;
    } else if (req.cl === -2) {
      const chunks = [];
      let p = bodyEnd;
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le < 0) return;
        const hex = buf.latin1Slice(p, le);
        if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return fail();
        const n = parseInt(hex, 16);
        if (buf.length < le + 2 + n + 2) return;
        if (buf[le + 2 + n] !== 13 || buf[le + 3 + n] !== 10) return fail();
        if (n === 0) { p = le + 4; break; }
        chunks.push(buf.subarray(le + 2, le + 2 + n));
        p = le + 4 + n;
      }
      body = Buffer.concat(chunks);
      bodyEnd = p;
    }
    buf = buf.subarray(bodyEnd);
    busy = true;
    forward(req, body).then(() => { busy = false; if (req.close) socket.end(); else if (buf.length) pump(); });
  };
  const forward = async (req, body) => {
    try {
      const headers = {};
      for (let k = 0; k < req.headers.length; k += 2) if (!HOP.has(req.headers[k])) headers[req.headers[k]] = req.headers[k + 1];
      const up = await pool.request({ path: req.target, method: req.method, headers, body });
      let head = `HTTP/1.1 ${up.statusCode} OK\r\n`;
      let length = -1;
      for (const [k, v] of Object.entries(up.headers)) {
        if (HOP.has(k)) continue;
        if (k === 'content-length') length = Number(v);
        for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
      }
      if (length < 0) head += 'transfer-encoding: chunked\r\n';
      socket.cork();
      socket.write(`${head}\r\n`, 'latin1');
      for await (const chunk of up.body) socket.write(length < 0 ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
      if (length < 0) socket.write('0\r\n\r\n');
      socket.uncork();
    } catch {
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    }
  };
  socket.on('data', (d) => { buf = buf.length ? Buffer.concat([buf, d]) : d; pump(); });
  socket.on('error', () => socket.destroy());
}).listen(port, '127.0.0.1');
