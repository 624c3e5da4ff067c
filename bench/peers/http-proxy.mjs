// Peer: node-http-proxy (npm `http-proxy`) behind node:http, keep-alive agent to the origin.
// Usage: node http-proxy.mjs PORT ORIGIN_PORT
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const [port, originPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${originPort}`, agent, xfwd: false });
proxy.on('error', (_e, _req, res) => { if (!res.headersSent) res.writeHead?.(502); res.end?.(); });
createServer({ keepAliveTimeout: 120_000 }, (req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
