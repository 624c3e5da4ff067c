// Peer: fastify with @fastify/http-proxy (@fastify/reply-from underneath, undici keep-alive pool to
// the origin), logging off. Usage: node fastify-proxy.mjs PORT ORIGIN_PORT
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [port, originPort] = process.argv.slice(2).map(Number);
const app = Fastify({ logger: false, keepAliveTimeout: 120_000 });
await app.register(proxy, { upstream: `http://127.0.0.1:${originPort}`, undici: { connections: 128, pipelining: 1, keepAliveTimeout: 120_000 } });
await app.listen({ port, host: '127.0.0.1' });
