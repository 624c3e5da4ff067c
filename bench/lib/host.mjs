// The @wasmgate/host build the benchmarks load: this checkout's, or another one named by
// WG_HOST_DIST (a packages/host/dist/src/index.js), to compare two versions of the host (A/B).
import { pathToFileURL } from 'node:url';

const target = process.env.WG_HOST_DIST
  ? pathToFileURL(process.env.WG_HOST_DIST).href
  : new URL('../../packages/host/dist/src/index.js', import.meta.url).href;

export const host = await import(target);
