/**
 * Resolves Ingress `spec.tls` against `kubernetes.io/tls` Secrets into the certificate table of the
 * `listenTls` listener, plus the `ssl-redirect` and `auth-tls-secret` annotations that go with it.
 * Certificates are checked here (PEM parses, key matches), so a bad Secret fails `validate` and a
 * reload rather than a handshake.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext as tlsContext } from 'node:tls';
import { HIGRESS_PREFIX, NGINX_PREFIX } from './annotations.js';
import { locate } from './locate.js';
import type { ResolveContext } from './resolve-context.js';
import type { TlsCertificate, TlsConfig } from './types.js';
import type { Manifest } from './validate.js';

type IngressManifest = Extract<Manifest, { kind: 'Ingress' }>;
type SecretManifest = Extract<Manifest, { kind: 'Secret' }>;


/** A Secret's value: `stringData` wins over `data` (base64), as the API server merges them. */
function secretValue(s: SecretManifest, key: string): string | undefined {
  const plain = s.spec.stringData?.[key];
  if (plain !== undefined) return plain;
  const b64 = s.spec.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

/** An annotation under either prefix (nginx first, as Higress). */
function annotation(m: IngressManifest, name: string): { key: string; value: string } | undefined {
  const all = (m.parsed.value as { metadata?: { annotations?: Record<string, unknown> } }).metadata?.annotations ?? {};
  for (const prefix of [NGINX_PREFIX, HIGRESS_PREFIX]) {
    const v = all[prefix + name];
    if (v !== undefined) return { key: prefix + name, value: String(v).trim() };
  }
  return undefined;
}

/** `listener`: the Gateway has a `listenTls`; without one spec.tls is checked but served by nothing (a warning). */
export function resolveTls(
  ingresses: readonly IngressManifest[], secrets: readonly SecretManifest[], ctx: ResolveContext, listener = true,
): TlsConfig | undefined {
  const byKey = new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
  const certificates: TlsCertificate[] = [];
  const sslRedirect: string[] = [];
  const hostOwner = new Map<string, string>();
  /** Checked once per Secret (several Ingresses may name the same one). */
  const checked = new Map<string, { cert: string; key: string } | undefined>();

  const loadPair = (m: IngressManifest, at: (string | number)[], key: string): { cert: string; key: string } | undefined => {
    if (checked.has(key)) return checked.get(key);
    const s = byKey.get(key);
    let pair: { cert: string; key: string } | undefined;
    if (!s) {
      const [ns, name] = key.split('/');
      if (!ctx.isBroken('Secret', ns!, name!)) {
        ctx.error('WG_CONFIG_REF_NOT_FOUND', m, at, `Secret ${key} not found`, 'Add a v1 Secret of type kubernetes.io/tls with tls.crt and tls.key in the Ingress namespace.');
      }
    } else if (s.spec.type !== 'kubernetes.io/tls') {
      ctx.error('WG_CONFIG_TLS_SECRET', m, at, `Secret ${key} has type ${s.spec.type ?? '(none)'}, not kubernetes.io/tls`);
    } else {
      const cert = secretValue(s, 'tls.crt');
      const k = secretValue(s, 'tls.key');
      if (!cert || !k) {
        ctx.error('WG_CONFIG_TLS_SECRET', m, at, `Secret ${key} has no ${cert ? 'tls.key' : 'tls.crt'}`);
      } else {
        try {
          new X509Certificate(cert);
          tlsContext({ cert, key: k });
          pair = { cert, key: k };
        } catch (e) {
          ctx.error('WG_CONFIG_TLS_SECRET', m, at, `Secret ${key}: ${(e as Error).message}`, 'tls.crt must be a PEM certificate (chain) and tls.key its PEM private key.');
        }
      }
    }
    checked.set(key, pair);
    return pair;
  };

  const loadCa = (m: IngressManifest, annotationKey: string, ref: string): string | undefined => {
    const at = ['metadata', 'annotations', annotationKey];
    const key = ref.includes('/') ? ref : `${m.namespace}/${ref}`;
    const s = byKey.get(key);
    if (!s) {
      ctx.error('WG_CONFIG_REF_NOT_FOUND', m, at, `Secret ${key} (auth-tls-secret) not found`, 'Add a v1 Secret with ca.crt: the PEM CA bundle client certificates must chain to.');
      return undefined;
    }
    const ca = secretValue(s, 'ca.crt') ?? secretValue(s, 'cacert');
    if (!ca) {
      ctx.error('WG_CONFIG_TLS_SECRET', m, at, `Secret ${key} (auth-tls-secret) has no ca.crt`);
      return undefined;
    }
    try {
      new X509Certificate(ca);
    } catch (e) {
      ctx.error('WG_CONFIG_TLS_SECRET', m, at, `Secret ${key} ca.crt: ${(e as Error).message}`);
      return undefined;
    }
    return ca;
  };

  for (const m of ingresses) {
    const redirect = annotation(m, 'ssl-redirect') ?? annotation(m, 'force-ssl-redirect');
    if (redirect?.value === 'true') sslRedirect.push(`${m.namespace}/${m.name}`);
    const authTls = annotation(m, 'auth-tls-secret');
    const clientCa = authTls && authTls.value !== '' ? loadCa(m, authTls.key, authTls.value) : undefined;
    if (m.spec.tls !== undefined && m.spec.tls.length > 0 && !listener) {
      ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'tls'], 'spec.tls has no effect: the Gateway has no listenTls (HTTPS listener)',
        'Set listenTls: "0.0.0.0:8443" on the wasmgate.io/v1alpha1 Gateway (or --listen-tls) to serve these certificates.');
    }
    (m.spec.tls ?? []).forEach((entry, i) => {
      const at = ['spec', 'tls', i];
      if (entry.secretName === undefined) {
        ctx.warn('WG_CONFIG_IGNORED', m, at, 'spec.tls entry without secretName is skipped', 'wasmgate serves certificates from kubernetes.io/tls Secrets only.');
        return;
      }
      const pair = loadPair(m, [...at, 'secretName'], `${m.namespace}/${entry.secretName}`);
      if (!pair) return;
      const hosts: string[] = [];
      for (const [j, h] of (entry.hosts ?? []).entries()) {
        const owner = hostOwner.get(h);
        if (owner !== undefined) {
          ctx.warn('WG_CONFIG_IGNORED', m, [...at, 'hosts', j], `TLS host ${h} already has a certificate (Secret ${owner}); this one is not used for it`);
          continue;
        }
        hostOwner.set(h, `${m.namespace}/${entry.secretName}`);
        hosts.push(h);
      }
      certificates.push({
        secret: `${m.namespace}/${entry.secretName}`, hosts, ...pair, ...(clientCa !== undefined ? { clientCa } : {}), location: locate(m.parsed, at),
      });
    });
  }
  if (certificates.length === 0 && sslRedirect.length === 0) return undefined;
  return { certificates, sslRedirect };
}

/** The certificate for an SNI name: exact host first, then the longest `*.suffix`; else the first (default). */
export function certificateFor(tls: TlsConfig | undefined, servername: string | undefined): TlsCertificate | undefined {
  if (!tls || tls.certificates.length === 0) return undefined;
  const name = (servername ?? '').toLowerCase().replace(/\.$/, '');
  if (name !== '') {
    const exact = tls.certificates.find((c) => c.hosts.includes(name));
    if (exact) return exact;
    // A wildcard covers one label, as in TLS certificate matching: *.example.com matches a.example.com.
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = `*${name.slice(dot)}`;
      const hit = tls.certificates.find((c) => c.hosts.includes(wild));
      if (hit) return hit;
    }
  }
  return tls.certificates[0];
}
