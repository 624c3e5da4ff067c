/**
 * `wasmgate serve` with a file access log reopens it on SIGUSR1, as logrotate expects: the file is
 * renamed, lines keep going to the renamed file until the signal, then to a new file at the path,
 * and no line is lost or written twice. A real process, a real rename, a real signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/daemon.js';
import { gatewaySpec, ingress, poll, send, service, startUpstream } from '../helpers/gateway.js';

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

test('SIGUSR1 reopens the access-log file: renamed file keeps the old lines, the new file gets the new ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-reopen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const up = await startUpstream(t);
  const docs = [
    service('backend', [`127.0.0.1:${up.port}`]), ingress('all', 'backend'),
    gatewaySpec({ accessLog: { path: 'access.log', format: '%REQ(X-REQUEST-ID)% %RESPONSE_CODE%' } }),
  ];
  docs.forEach((d, i) => writeFileSync(join(dir, `${i}.yaml`), JSON.stringify(d)));
  const port = await freePort();
  const gw = await spawnCli(t, ['serve', '--config', dir, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`, '--workers', '1', '--no-watch'], /wasmgate serving on/);
  const log = join(dir, 'access.log');
  const rotated = join(dir, 'access.log.1');
  const sent: string[] = [];
  const request = async (id: string) => {
    sent.push(id);
    assert.equal((await send(port, { headers: { 'x-request-id': id } })).status, 200);
  };

  await request('before-1');
  await poll('the first line', async () => (lines(log).includes('before-1 200') ? true : undefined));
  renameSync(log, rotated);
  // Renamed but not reopened yet: the open file is the renamed one.
  await request('before-2');
  await poll('a line in the renamed file', async () => (lines(rotated).includes('before-2 200') ? true : undefined));
  assert.equal(existsSync(log), false);

  gw.child.kill('SIGUSR1');
  let n = 0;
  await poll('a line in the reopened file', async () => {
    await request(`after-${++n}`);
    return lines(log).length > 0 ? true : undefined;
  });
  await request('last');
  await poll('the last line', async () => (lines(log).includes('last 200') ? true : undefined));

  const old = lines(rotated);
  const now = lines(log);
  assert.deepEqual(old.slice(0, 2), ['before-1 200', 'before-2 200']);
  assert.equal(now.at(-1), 'last 200');
  assert.ok(!now.some((l) => l.startsWith('before-')), 'nothing from before the signal is in the new file');
  // Every request has exactly one line, in one of the two files.
  assert.deepEqual([...old, ...now].map((l) => l.split(' ')[0]).sort(), [...sent].sort());
  assert.equal(gw.child.exitCode, null, 'SIGUSR1 does not stop wasmgate');

  const exited = once(gw.child, 'exit');
  gw.child.kill('SIGTERM');
  assert.equal((await exited)[0], 0, gw.stderr());
});
