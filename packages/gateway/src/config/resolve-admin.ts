/**
 * The Gateway's admin-security and plugin-path fields: `adminAllowedHosts`, `adminTokenFile`,
 * `pluginDirs`, and the WG_CONFIG_ADMIN_EXPOSED warning for an admin listener other hosts can
 * reach without a token. The admin listener enforces them (admin/guard.ts); docs/config.md#admin-security.
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatHostPort } from './address.js';
import { configError } from './errors.js';
import type { ResolveContext } from './resolve-context.js';
import type { ConfigOverrides, HostPort } from './types.js';
import type { Manifest } from './validate.js';

type GatewayManifest = Extract<Manifest, { kind: 'Gateway' }>;

/** The environment variable holding the admin token; it wins over `adminTokenFile`. */
export const ADMIN_TOKEN_ENV = 'WASMGATE_ADMIN_TOKEN';

/** True for a host only this machine reaches: 127.0.0.0/8, ::1, localhost (and IPv4-mapped loopback). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h.endsWith('.localhost');
}

/** True for an address that listens on every interface (0.0.0.0, ::). */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '::0' || h === '0:0:0:0:0:0:0:0';
}

/** `pluginDirs` of the Gateway manifest as absolute folders (relative to the manifest); undefined when not set. */
export function pluginDirsOf(m: GatewayManifest | undefined, overrides: ConfigOverrides): string[] | undefined {
  const fromSpec = m?.spec?.pluginDirs?.map((d) => (isAbsolute(d) ? resolve(d) : resolve(dirname(m.parsed.file), d)));
  const fromFlags = overrides.pluginDirs?.map((d) => resolve(d));
  if (!fromSpec && !fromFlags) return undefined;
  return [...(fromSpec ?? []), ...(fromFlags ?? [])];
}

/** The admin-security settings of a Gateway; warns about an exposed admin without a token. */
export function resolveAdminSecurity(m: GatewayManifest | undefined, admin: HostPort, overrides: ConfigOverrides, ctx: ResolveContext) {
  const spec = m?.spec ?? {};
  const allowed = (spec.adminAllowedHosts ?? []).map((h) => h.trim().toLowerCase());
  allowed.forEach((h, i) => {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:\d{1,5})?$/.test(h) && m) {
      ctx.error('WG_CONFIG_INVALID', m, ['spec', 'adminAllowedHosts', i], `"${h}" is not a Host header value: write "name" or "name:port" (IPv6 bracketed, no scheme)`);
    }
  });
  let tokenFile: string | undefined;
  if (spec.adminTokenFile !== undefined && m) {
    tokenFile = isAbsolute(spec.adminTokenFile) ? spec.adminTokenFile : resolve(dirname(m.parsed.file), spec.adminTokenFile);
    if (ctx.checkPluginFiles) {
      let why: string | undefined;
      try {
        if (readFileSync(tokenFile, 'utf8').trim() === '') why = 'is empty';
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : 'cannot be read';
      }
      // The token's text is never part of a message.
      if (why) ctx.error('WG_CONFIG_INVALID', m, ['spec', 'adminTokenFile'], `admin token file ${tokenFile} ${why}`, 'Write the token (one line) into the file, or remove adminTokenFile.');
    }
  }
  const hasToken = tokenFile !== undefined || (process.env[ADMIN_TOKEN_ENV] ?? '').trim() !== '';
  if (!hasToken && !isLoopbackHost(admin.host) && admin.port !== undefined) {
    const message = `the admin listener ${formatHostPort(admin)} is reachable from other hosts${isWildcardHost(admin.host) ? ' (every interface)' : ''} and no admin token is set: anyone who reaches it can POST /reload and read /config_dump`;
    if (m && overrides.admin === undefined && spec.admin !== undefined) ctx.warn('WG_CONFIG_ADMIN_EXPOSED', m, ['spec', 'admin'], message);
    else ctx.warnings.push(configError('WG_CONFIG_ADMIN_EXPOSED', message, { path: '--admin' }));
  }
  const pluginDirs = pluginDirsOf(m, overrides);
  return {
    ...(allowed.length > 0 ? { adminAllowedHosts: allowed } : {}),
    ...(tokenFile !== undefined ? { adminTokenFile: tokenFile } : {}),
    ...(pluginDirs ? { pluginDirs } : {}),
  };
}
