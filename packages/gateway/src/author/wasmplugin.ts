/**
 * `wasmgate manifest`'s engine: the project's wasmplugin.yaml, re-targeted at a pushed image. Every
 * field the author wrote (phase, priority, failStrategy, defaultConfig, matchRules, comments) is
 * kept; `url` becomes the `oci://` reference and `sha256` the image manifest digest, which is what
 * Istio and Higress compare `sha256` with for an `oci://` url (docs/RATIONALE.md).
 * @module
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, parseAllDocuments, Pair, Scalar, type Document, type YAMLMap } from 'yaml';
import { WasmgateError } from '@wasmgate/host';
import './errors.js';

/** Reads the WasmPlugin document of `file`; WG_MANIFEST_PLUGIN when there is none. */
export function readWasmPlugin(file: string): Document {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WasmgateError('WG_MANIFEST_PLUGIN', `cannot read ${file}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) throw new WasmgateError('WG_MANIFEST_PLUGIN', `${file} is empty`);
  for (const d of docs) {
    if (d.errors.length > 0) throw new WasmgateError('WG_MANIFEST_PLUGIN', `${file} is not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
    const js = d.toJS() as { kind?: unknown; spec?: unknown } | null;
    if (js?.kind === 'WasmPlugin') {
      if (!isMap(d.get('spec'))) throw new WasmgateError('WG_MANIFEST_PLUGIN', `the WasmPlugin in ${file} has no spec`);
      return d;
    }
  }
  throw new WasmgateError('WG_MANIFEST_PLUGIN', `${file} has no document of kind WasmPlugin`);
}

/** Sets `key` in `map`, right after `after` when it is new (so sha256 sits under url). */
function setAfter(map: YAMLMap, key: string, value: string, after: string): void {
  const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === key);
  if (at >= 0) {
    map.items[at]!.value = new Scalar(value);
    return;
  }
  const prev = map.items.findIndex((p) => isScalar(p.key) && p.key.value === after);
  map.items.splice(prev >= 0 ? prev + 1 : map.items.length, 0, new Pair(new Scalar(key), new Scalar(value)));
}

/** The manifest text for `image` (an `oci://` url) with image manifest digest `digest` (`sha256:…` or hex). */
export function manifestFor(doc: Document, image: string, digest: string, note: string): string {
  const out = doc.clone();
  const spec = out.get('spec') as YAMLMap;
  setAfter(spec, 'url', image, 'url');
  setAfter(spec, 'sha256', digest.replace(/^sha256:/, ''), 'url');
  // The file's own header comment is about the local file; the output is about the image.
  out.commentBefore = ` ${note}`;
  if (isMap(out.contents)) out.contents.commentBefore = null;
  return out.toString({ lineWidth: 0 });
}
