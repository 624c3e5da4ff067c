/**
 * Command-line conventions, one place for all commands. Each command is described by a small
 * declarative table ({@link CommandSpec}); from it come both the `node:util` parseArgs options and
 * the usage text that `--help` prints and usage errors repeat, so the two can never drift apart.
 * Every command gets `-h, --help`. No colours are used, so NO_COLOR and non-TTY output need nothing.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WasmgateError } from '@wasmgate/host';
import { CLI_ERRORS } from './errors.js';

/** One option of a command. */
export interface OptionSpec {
  /** Long name, without the dashes. */
  readonly name: string;
  /** One-letter alias. */
  readonly short?: string;
  /** `boolean` for flags; `string` for options that take a value. */
  readonly type: 'string' | 'boolean';
  /** May be given more than once (the values are collected in order). */
  readonly multiple?: boolean;
  /** Must be given. */
  readonly required?: boolean;
  /** A `string` option whose value is optional and then inline only: `--inspect` or `--inspect=9229` (value `true` when absent). */
  readonly optionalValue?: boolean;
  /** Placeholder for the value in the usage text (`HOST:PORT`). */
  readonly arg?: string;
  /** One line of help. */
  readonly help: string;
}

/** A command (or sub-command) as its usage text and parser see it. */
export interface CommandSpec {
  /** As typed after `wasmgate`: `serve`, `oci push`. */
  readonly name: string;
  /** One line saying what the command does. */
  readonly summary: string;
  /** The synopsis after the name, as in `<plugin.wasm> [options]`. */
  readonly synopsis: string;
  /** Positional arguments: how many are required and allowed (`max` undefined: any number). */
  readonly positionals: { readonly min: number; readonly max?: number; readonly name: string };
  readonly options: readonly OptionSpec[];
  /** Lines printed after the options (examples, notes). */
  readonly notes?: readonly string[];
}

const HELP: OptionSpec = { name: 'help', short: 'h', type: 'boolean', help: 'print this help and exit' };

function allOptions(spec: CommandSpec): OptionSpec[] {
  return [...spec.options, HELP];
}

/** The usage text: synopsis, summary, one line per option (help included), notes. */
export function usageText(spec: CommandSpec): string {
  const left = (o: OptionSpec) =>
    `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.optionalValue ? `[=${o.arg ?? 'value'}]` : o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
  const opts = allOptions(spec);
  const width = Math.max(...opts.map((o) => left(o).length)) + 2;
  return [
    `usage: wasmgate ${spec.name} ${spec.synopsis}`,
    '',
    spec.summary,
    '',
    'options:',
    ...opts.map((o) => {
      const tags = [o.required ? 'required' : '', o.multiple ? 'repeatable' : ''].filter((t) => t !== '');
      return `  ${left(o).padEnd(width)}${o.help}${tags.length ? ` (${tags.join(', ')})` : ''}`;
    }),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** What {@link parseCommand} found: the option values by long name, and the positionals. */
export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** `-h`/`--help` was given: print the usage and exit 0, whatever else is on the line. */
  readonly help: boolean;
}

/** A `WG_CLI_USAGE` error whose details are the command's usage text. */
export function usageError(spec: CommandSpec, message: string): WasmgateError {
  return new WasmgateError('WG_CLI_USAGE', message, { hint: CLI_ERRORS.WG_CLI_USAGE.hint, exit: 2, details: [usageText(spec)] });
}

/**
 * Parses a command's arguments against its table. Unknown options (with a "did you mean"), a
 * missing value, a value given to a flag and the wrong number of positionals are `WG_CLI_USAGE`
 * errors with one-line messages; `--help` anywhere wins over all of them.
 */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand {
  const opts = allOptions(spec);
  const config: ParseArgsConfig['options'] = {};
  // An optional-value option is a flag to parseArgs, so `--inspect --listen x` does not take `--listen` as its value.
  for (const o of opts) config[o.name] = { type: o.optionalValue ? 'boolean' : o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  // Not strict: the tokens are checked below, with messages that name the command's options.
  const { values, positionals, tokens } = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: false, tokens: true });
  if (values.help === true) return { values: values as ParsedCommand['values'], positionals, help: true };
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const known = opts.find((o) => o.name === t.name);
    if (!known) {
      const guess = suggestOption(t.rawName, opts);
      throw usageError(spec, `unknown option ${t.rawName} for "wasmgate ${spec.name}"${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    if (known.optionalValue) {
      if (tokens.filter((x) => x.kind === 'option' && x.name === t.name).length > 1) throw usageError(spec, `${t.rawName} was given more than once`);
      if (t.inlineValue && !t.value) throw usageError(spec, `${t.rawName}= needs a value: ${t.rawName}[=${known.arg ?? 'value'}]`);
      (values as Record<string, unknown>)[t.name] = t.inlineValue ? t.value : true;
      continue;
    }
    if (known.type === 'string' && t.value === undefined) throw usageError(spec, `${t.rawName} needs a value: ${t.rawName} <${known.arg ?? 'value'}>`);
    if (known.type === 'string' && !t.inlineValue && t.value !== undefined && /^-./.test(t.value)) {
      // `--config --json`: the option's value was forgotten (write `--config=-x` for a value starting with "-").
      throw usageError(spec, `${t.rawName} needs a value: ${t.rawName} <${known.arg ?? 'value'}>, not ${t.value}`);
    }
    if (known.type === 'boolean' && t.inlineValue) throw usageError(spec, `${t.rawName} takes no value`);
    if (known.type === 'string' && !known.multiple && tokens.filter((x) => x.kind === 'option' && x.name === t.name).length > 1) {
      throw usageError(spec, `${t.rawName} was given more than once`);
    }
  }
  for (const o of opts) {
    if (o.required && values[o.name] === undefined) throw usageError(spec, `wasmgate ${spec.name} needs --${o.name} <${o.arg ?? 'value'}>`);
  }
  const { min, max, name } = spec.positionals;
  if (positionals.length < min) throw usageError(spec, `wasmgate ${spec.name} needs ${name}`);
  if (max !== undefined && positionals.length > max) {
    const extra = positionals.slice(max).map((p) => `"${p}"`).join(', ');
    throw usageError(spec, max === 0 ? `wasmgate ${spec.name} takes no arguments, got ${extra}` : `unexpected argument${positionals.length - max > 1 ? 's' : ''} ${extra}`);
  }
  return { values: values as ParsedCommand['values'], positionals, help: false };
}

/** The long option a mistyped one (`--jsn`, `--Config`, `-config`) most likely meant. */
function suggestOption(raw: string, opts: readonly OptionSpec[]): string | undefined {
  const typed = raw.replace(/^-+/, '').toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const o of opts) {
    const d = distance(typed, o.name);
    const score = o.name.startsWith(typed) && typed.length >= 2 ? 0 : d;
    if (score < bestScore && (score <= Math.max(1, Math.floor(o.name.length / 3)))) {
      best = o.name;
      bestScore = score;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}
