// nginx as the fast origin (`return 200`) and as the reference proxy (proxy_pass with upstream
// keep-alive, one worker unless told otherwise). Both run in the foreground with a private prefix under
// bench/results/tmp.
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { start } from './procs.mjs';

export const ORIGIN_BODY = 'ok\n';

function common(prefix, name, workers = 1) {
  const dir = join(prefix, name);
  for (const d of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(dir, d), { recursive: true });
  return {
    dir,
    head: `daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
`,
    http: `  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  default_type text/plain;
`,
  };
}

export function originConfig(prefix, port) {
  const c = common(prefix, 'origin');
  const conf = `${c.head}http {
${c.http}  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / { return 200 "${ORIGIN_BODY.replace('\n', '\\n')}"; }
  }
}
`;
  writeFileSync(join(c.dir, 'nginx.conf'), conf);
  return c.dir;
}

/** `workers`: nginx worker_processes; each proxy configuration gets its own directory `name`. */
export function proxyConfig(prefix, port, originPort, { workers = 1, name = 'proxy' } = {}) {
  const c = common(prefix, name, workers);
  const conf = `${c.head}http {
${c.http}  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
  writeFileSync(join(c.dir, 'nginx.conf'), conf);
  return c.dir;
}

export function nginxArgv(dir) {
  return ['nginx', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')];
}

export function startNginx(argv) {
  return start(argv);
}

export function nginxVersion() {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stderr || r.stdout).trim().replace(/^nginx version:\s*/, '') : undefined;
}
