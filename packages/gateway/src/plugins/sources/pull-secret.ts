/**
 * Registry credentials from a Docker config JSON (the content of a Kubernetes
 * `kubernetes.io/dockerconfigjson` secret, or `~/.docker/config.json`):
 * `{"auths":{"host:port":{"auth":"base64(user:pass)"} | {"username","password"} | {"identitytoken"}}}`.
 * The legacy `.dockercfg` form (the host map without `auths`) is read too. Credential helpers
 * (`credsStore`) are not run.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { sourceError, type SourceContext } from './errors.js';

/** What we may present to a registry or its token service. */
export interface RegistryCredentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** OAuth2 refresh token (`identitytoken`), exchanged at the token realm with a POST. */
  readonly identityToken?: string | undefined;
  /** A ready bearer token (`registrytoken`), sent as is. */
  readonly registryToken?: string | undefined;
}

const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** `https://index.docker.io/v1/` → `index.docker.io`; `HOST:5000` → `host:5000`. */
function normalizeKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

function entryCredentials(entry: unknown): RegistryCredentials | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const str = (k: string) => (typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : undefined);
  let username = str('username');
  let password = str('password');
  const auth = str('auth');
  if (auth && !username) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const creds = { username, password, identityToken: str('identitytoken'), registryToken: str('registrytoken') };
  return Object.values(creds).some((v) => v !== undefined) ? creds : undefined;
}

/** Finds the credentials for `registry` (host[:port]) in a parsed Docker config; undefined if none. */
export function findCredentials(config: unknown, registry: string): RegistryCredentials | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const root = config as Record<string, unknown>;
  const auths = (typeof root.auths === 'object' && root.auths !== null ? root.auths : root) as Record<string, unknown>;
  const wanted = registry.toLowerCase();
  const aliases = DOCKER_HUB.includes(wanted) ? DOCKER_HUB : [wanted];
  for (const [key, entry] of Object.entries(auths)) {
    if (aliases.includes(normalizeKey(key))) return entryCredentials(entry);
  }
  return undefined;
}

/**
 * Reads a Docker config JSON file and returns the credentials for `registry`, or undefined when the
 * file has none for it (the pull then goes on anonymously, as Istio does).
 */
export async function loadCredentials(file: string, registry: string, ctx: SourceContext): Promise<RegistryCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw sourceError('WG_SOURCE_FILE', ctx, `cannot read pull secret ${file}: ${(cause as Error).message}`, {
      cause,
      hint: 'imagePullSecret / --pull-secret must name a Docker config JSON file ({"auths":{...}}).',
    });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw sourceError('WG_SOURCE_AUTH', ctx, `pull secret ${file} is not JSON: ${(cause as Error).message}`, {
      cause,
      hint: 'Use the Docker config format: {"auths":{"registry:port":{"auth":"<base64 of user:password>"}}}.',
    });
  }
  return findCredentials(config, registry);
}
