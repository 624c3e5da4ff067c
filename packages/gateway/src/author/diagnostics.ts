/**
 * Compiler messages in the `file:line:col: message` form editors and terminals link. asc writes a
 * message, a code frame and then `└─ in file(line,col)`; this puts the position first.
 * @module
 */

const HEADER = /^(ERROR|WARNING|INFO)( [A-Z]+\d+)?: (.*)$/;
const WHERE = /└─ in (.+)\((\d+),(\d+)\)\s*$/;

/** asc's diagnostics with each message's position moved to the front of its first line. */
export function ascDiagnostics(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let block: string[] | undefined;
  const flush = () => {
    if (block) out.push(...block);
    block = undefined;
  };
  for (const line of lines) {
    if (HEADER.test(line)) {
      flush();
      block = [line];
      continue;
    }
    const where = WHERE.exec(line);
    if (block && where) {
      const [, kind, code, message] = HEADER.exec(block[0]!)!;
      out.push(`${where[1]}:${where[2]}:${where[3]}: ${kind!.toLowerCase()}${code ?? ''}: ${message}`, ...block.slice(1));
      block = undefined;
      continue;
    }
    if (block) block.push(line);
    else out.push(line);
  }
  flush();
  return out.join('\n');
}
