/**
 * Stage 2: multi-document YAML parsing that keeps the syntax tree, so every later error can point
 * at the `line:col` of the value it is about.
 * @module
 */
import { LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import type { WasmgateError } from '@wasmgate/host';
import { configError } from './errors.js';
import type { ConfigSource } from './read.js';

/** One non-empty YAML document with what is needed to locate its values. */
export interface ParsedDocument {
  readonly file: string;
  /** 0-based index of the document in its file (empty documents count too). */
  readonly index: number;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  readonly value: unknown;
}

/** Documents and YAML problems of one file. */
export interface ParseResult {
  readonly documents: ParsedDocument[];
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
}

/** Parses every document of one source; a document with syntax errors is reported and dropped. */
export function parseSource(source: ConfigSource): ParseResult {
  const lineCounter = new LineCounter();
  const documents: ParsedDocument[] = [];
  const errors: WasmgateError[] = [];
  const warnings: WasmgateError[] = [];
  const at = (offset: number) => ({ file: source.file, ...linePos(lineCounter, offset) });

  // merge: kubectl's YAML decoder accepts `<<` merge keys, so manifests may use them.
  const parsed = parseAllDocuments(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (!Array.isArray(parsed) || 'empty' in parsed) {
    // An empty stream still carries errors for text that is not YAML at all.
    for (const e of (parsed as { errors?: { message: string; pos: [number, number] }[] }).errors ?? []) {
      errors.push(configError('WG_CONFIG_YAML', firstLine(e.message), at(e.pos[0])));
    }
    return { documents, errors, warnings };
  }
  parsed.forEach((doc, index) => {
    for (const w of doc.warnings) warnings.push(configError('WG_CONFIG_YAML', firstLine(w.message), at(w.pos[0])));
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(configError('WG_CONFIG_YAML', firstLine(e.message), at(e.pos[0])));
      return;
    }
    if (doc.contents === null) return; // `---` with nothing, or only comments: skipped.
    let value: unknown;
    try {
      // The alias cap stops "billion laughs" documents from expanding without bound.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      errors.push(configError('WG_CONFIG_YAML', firstLine(message), at(badAliasOffset(doc) ?? doc.contents.range[0]), { cause }));
      return;
    }
    if (value === null || value === undefined) return;
    documents.push({ file: source.file, index, doc, lineCounter, value });
  });
  return { documents, errors, warnings };
}

/** 1-based line and column of a character offset. */
export function linePos(lineCounter: LineCounter, offset: number): { line: number; col: number } {
  const { line, col } = lineCounter.linePos(offset);
  // LineCounter reports line 0 before it has seen a newline; the first line is line 1.
  return line === 0 ? { line: 1, col: offset + 1 } : { line, col };
}

/** Where the first alias that names no anchor is: the usual reason `toJS` throws. */
function badAliasOffset(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

// yaml's messages sometimes carry a source excerpt after a newline; the report shows position instead.
function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
