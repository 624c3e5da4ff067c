/**
 * Reads a module's `producers` custom section (WebAssembly tool-conventions): which languages and
 * tools made it. rustc, clang and @wasmgate/sdk builds carry one; Go and plain asc builds do not.
 * Malformed content yields what was read before the fault; nothing here ever throws.
 */
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Field name ("language", "processed-by", "sdk") → [name, version] pairs. */
export type Producers = ReadonlyMap<string, readonly (readonly [string, string])[]>;

export function readProducers(module: WebAssembly.Module): Producers {
  const out = new Map<string, [string, string][]>();
  for (const section of WebAssembly.Module.customSections(module, 'producers')) {
    const b = new Uint8Array(section);
    let i = 0;
    const leb = (): number => {
      let n = 0;
      let shift = 0;
      for (;;) {
        if (i >= b.length || shift > 28) throw new RangeError('producers: bad LEB128');
        const byte = b[i++]!;
        n |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) return n >>> 0;
        shift += 7;
      }
    };
    const str = (): string => {
      const len = leb();
      if (i + len > b.length) throw new RangeError('producers: string past the end');
      const s = decoder.decode(b.subarray(i, i + len));
      i += len;
      return s;
    };
    try {
      for (let fields = leb(); fields > 0; fields--) {
        const name = str();
        const values = out.get(name) ?? [];
        for (let n = leb(); n > 0; n--) values.push([str(), str()]);
        out.set(name, values);
      }
    } catch {
      // keep what was read
    }
  }
  return out;
}
