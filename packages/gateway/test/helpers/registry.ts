/**
 * Starts a real OCI registry (Debian's `docker-registry`, distribution 2.8) for tests: filesystem
 * storage in a temp folder, 127.0.0.1 on a free port, deletes enabled, optional token auth.
 * Skips when the binary is missing, except under CI (see daemon.ts).
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, startDaemon, type Daemon } from './daemon.js';

/** Docker-style token auth: the registry trusts JWTs signed by the key of `rootCertPem`. */
export interface RegistryTokenAuth {
  /** URL of the token service (the test starts it). */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the (self-signed) certificate whose key signs the tokens. */
  readonly rootCertPem: string;
}

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  readonly host: string;
  readonly port: number;
  /** Storage root (tests may tamper with blobs under `docker/registry/v2/blobs`). */
  readonly storageDir: string;
  readonly daemon: Daemon;
  stop(): Promise<void>;
}

/**
 * Finds the registry binary, or gives the reason to skip: use as
 * `const reg = findRegistry(); describe('…', { skip: reg.skip ?? false }, …)`.
 */
export function findRegistry(): { bin?: string | undefined; skip?: string | undefined } {
  let skip: string | undefined;
  const bin = requireBinary({ skip: (msg) => { skip = msg; } }, 'docker-registry', 'apt-get install -y docker-registry');
  return { bin, skip };
}

function config(storage: string, port: number, auth?: RegistryTokenAuth, certFile?: string): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: wasmgate-test-secret',
  ];
  if (auth && certFile) {
    lines.push('auth:', '  token:', `    realm: ${auth.realm}`, `    service: ${auth.service}`, `    issuer: ${auth.issuer}`, `    rootcertbundle: ${certFile}`);
  }
  return lines.join('\n') + '\n';
}

/** Starts a registry with `docker-registry serve <config>`; `stop()` kills it and removes its files. */
export async function startRegistry(bin: string, opts: { auth?: RegistryTokenAuth } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-registry-'));
  const storageDir = join(dir, 'storage');
  const certFile = join(dir, 'token-root.pem');
  if (opts.auth) await writeFile(certFile, opts.auth.rootCertPem);
  const configFile = join(dir, 'config.yml');
  let daemon: Daemon;
  try {
    daemon = await startDaemon(bin, (port) => {
      // startDaemon picks the port first; the config must name it, so write it synchronously here.
      writeFileSync(configFile, config(storageDir, port, opts.auth, certFile));
      return ['serve', configFile];
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  // stop() may be called twice (a test stops the registry, then after() does): the second call
  // must not wait for an exit event that has already fired.
  let stopping: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${daemon.port}`,
    port: daemon.port,
    storageDir,
    daemon,
    stop: () => (stopping ??= (async () => {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    })()),
  };
}
