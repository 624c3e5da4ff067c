// Peer: the plainest Node proxy. node:http server, every request dispatched to the origin through
// one undici Pool (keep-alive), response streamed back. Usage: node undici-proxy.mjs PORT ORIGIN_PORT
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, originPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${originPort}`, { connections: 128, pipelining: 1, keepAliveTimeout: 120_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

createServer({ keepAliveTimeout: 120_000 }, async (req, res) => {
  try {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    const up = await pool.request({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req });
    const out = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode, out);
    for await (const chunk of up.body) res.write(chunk);
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
}).listen(port, '127.0.0.1');
