/**
 * The WebAssembly `producers` custom section (tool-conventions, ProducersSection.md): which language
 * and tools made a module. asc writes none, so the build appends one naming AssemblyScript and this
 * SDK; `wasmgate inspect` and the gateway's logs then say "AssemblyScript (@wasmgate/sdk …)" instead
 * of guessing from exports. Engines ignore custom sections, so the module runs the same everywhere.
 *
 *   section id 0 | size | name "producers" | field count | (field name | value count | (name | version)*)*
 */
const encoder = new TextEncoder();

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function str(s: string): number[] {
  const b = encoder.encode(s);
  return [...leb(b.length), ...b];
}

/** Field name → [tool, version] pairs, e.g. { language: [['AssemblyScript', '0.28.20']] }. */
export type Producers = Record<string, [string, string][]>;

/** `binary` with a producers section appended (a module's custom sections may come last). */
export function withProducers(binary: Uint8Array, producers: Producers): Uint8Array {
  const fields = Object.entries(producers);
  const body: number[] = [...str('producers'), ...leb(fields.length)];
  for (const [field, values] of fields) {
    body.push(...str(field), ...leb(values.length));
    for (const [name, version] of values) body.push(...str(name), ...str(version));
  }
  const section = [0, ...leb(body.length), ...body];
  const out = new Uint8Array(binary.length + section.length);
  out.set(binary, 0);
  out.set(section, binary.length);
  return out;
}
