/**
 * `wasmgate build [dir] [--abi 0.2.100|0.2.1] [--debug] [--out FILE]` (options: `../specs.ts`,
 * BUILD): compiles the project (author/build.ts), then reports the module as `inspect` sees it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import { buildProject, type BuildOutcome } from '../../author/build.js';
import { detectProject, LANGUAGE_NAMES, type Project } from '../../author/project.js';
import { reportModule } from '../../author/report.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText, type CommandSpec } from '../options.js';
import { renderError } from '../render-error.js';
import { BUILD } from '../specs.js';

const ABIS = ['0.2.100', '0.2.1'] as const;

/** `--abi` checked against the two targets; a WG_CLI_USAGE error of `spec` otherwise. */
export function parseAbi(spec: CommandSpec, given: unknown): '0.2.100' | '0.2.1' | undefined {
  if (given === undefined) return undefined;
  if (!ABIS.includes(given as (typeof ABIS)[number])) throw usageError(spec, `--abi must be 0.2.100 (Higress) or 0.2.1 (plain Envoy/Istio), not "${String(given)}"`);
  return given as '0.2.100' | '0.2.1';
}

/** The compile-error exception, with the compiler's output as its details. */
export function compileError(p: Project, r: BuildOutcome): WasmgateError {
  const lines = r.diagnostics.split('\n').filter((l) => l.trim() !== '');
  return new WasmgateError('WG_BUILD_COMPILE', `the ${LANGUAGE_NAMES[p.lang]} build failed (${r.command})`, {
    details: lines.length > 0 ? lines : ['(the compiler printed nothing)'],
  });
}

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  try {
    const parsed = parseCommand(BUILD, args);
    if (parsed.help) {
      io.out(usageText(BUILD));
      return 0;
    }
    const v = parsed.values as { abi?: string; debug?: boolean; out?: string };
    const abi = parseAbi(BUILD, v.abi);
    const project = detectProject(parsed.positionals[0] ?? '.', io.cwd);
    if (abi && project.lang !== 'as') io.err(`wasmgate build: --abi applies to AssemblyScript only; the ${project.lang} SDK exports its own ABI marker`);
    const controller = new AbortController();
    void io.stopSignal.then(() => controller.abort(new Error('interrupted')));
    const r = await buildProject(project, { env: io.env, signal: controller.signal, ...(abi ? { abi } : {}), ...(v.debug ? { debug: true } : {}), ...(v.out ? { out: v.out } : {}) });
    if (!r.ok) throw compileError(project, r);
    if (r.diagnostics) for (const l of r.diagnostics.split('\n')) io.err(l);
    const shown = relative(io.cwd, r.output) || r.output;
    const report = await reportModule(new Uint8Array(readFileSync(r.output)), shown);
    io.out(`built ${shown} in ${r.ms} ms (${project.lang}, ${project.detectedBy})`);
    io.out(`  command:   ${r.command}`);
    for (const l of report.lines) io.out(l);
    for (const w of report.warnings) io.err(`warning: ${shown} ${w}`);
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};
