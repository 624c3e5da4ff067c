// A toy auth service for the auth-callout example: GET /check with `authorization: Bearer <name>`
// answers 200 and `x-user: <name>` for alice and bob, 403 for mallory, 401 otherwise.
//   node examples/as/auth-callout/auth-server.mjs     (listens on 127.0.0.1:9001, or PORT)
import http from 'node:http';

const USERS = new Set(['alice', 'bob']);
const port = Number(process.env.PORT ?? 9001);

http.createServer((req, res) => {
  const name = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (req.url !== '/check' || name === undefined) res.writeHead(401).end();
  else if (USERS.has(name)) res.writeHead(200, { 'x-user': name }).end();
  else if (name === 'mallory') res.writeHead(403).end();
  else res.writeHead(401).end();
}).listen(port, '127.0.0.1', () => console.log(`auth service on 127.0.0.1:${port}`));
