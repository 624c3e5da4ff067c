/**
 * Image references: `oci://registry[:port]/repo/path[:tag][@sha256:…]`, following the grammar of
 * Docker/OCI references (the `oci://` prefix is optional).
 * @module
 */
import { parseDigest } from './digest.js';
import { sourceError } from './errors.js';

/** A parsed image reference. */
export interface OciRef {
  /** Registry host with optional port as written (`docker.io` when the reference names none). */
  readonly registry: string;
  /** Repository path, e.g. `plugins/basic-auth` (`library/x` for single-name Docker Hub images). */
  readonly repository: string;
  readonly tag?: string | undefined;
  /** `sha256:<hex>` when the reference pins a digest. */
  readonly digest?: string | undefined;
}

const DOMAIN_RE = /^(?:localhost|\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/**
 * Parses an image reference. Throws WG_SOURCE_BAD_URL (naming `pluginName` when given) if it is
 * malformed.
 * @example parseOciRef('oci://127.0.0.1:5000/plugins/basic-auth:1.0.0')
 *   // { registry: '127.0.0.1:5000', repository: 'plugins/basic-auth', tag: '1.0.0' }
 */
export function parseOciRef(ref: string, pluginName?: string): OciRef {
  const ctx = { url: ref, pluginName };
  const bad = (why: string) => sourceError('WG_SOURCE_BAD_URL', ctx, `not a valid image reference: ${why}`);
  let rest = ref.startsWith('oci://') ? ref.slice('oci://'.length) : ref;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) throw bad('expected oci://registry/repository[:tag|@digest]');

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!parseDigest(digest)) throw bad(`digest "${digest}" is not sha256:<64 hex> or sha512:<128 hex>`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(`tag "${tag}" has characters a tag cannot have`);
  }

  const parts = rest.split('/');
  let registry = 'docker.io';
  // The first component is a registry host when it looks like one (Docker's rule): it has a dot or
  // a port, or is localhost. Otherwise the reference is a Docker Hub name.
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    parts.shift();
    if (!DOMAIN_RE.test(registry)) throw bad(`registry "${registry}" is not a host[:port]`);
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT_RE.test(p))) {
    throw bad(`repository "${parts.join('/')}" must be lowercase letters, digits and separators (. _ -), split by /`);
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { registry, repository: parts.join('/'), tag, digest };
}

/** Formats a reference back to `registry/repo[:tag][@digest]` (without `oci://`). */
export function formatOciRef(ref: OciRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What to ask the registry for: the digest when pinned, else the tag (default `latest`). */
export function manifestReference(ref: OciRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The host that actually serves the API (Docker Hub's name differs from its API host). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}
