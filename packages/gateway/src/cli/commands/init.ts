/**
 * `wasmgate init <dir> [--lang as|go|rust] [--name NAME] [--sdk-version RANGE]` (options: `../specs.ts`,
 * INIT): a ready plugin project from the templates in the gateway package (see author/init.ts).
 */
import { relative, resolve } from 'node:path';
import { WasmgateError } from '@wasmgate/host';
import { initProject } from '../../author/init.js';
import { exec, which } from '../../author/toolchain.js';
import { LANGUAGE_NAMES, LANGUAGES, type Language } from '../../author/project.js';
import type { CliIo, CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { renderError } from '../render-error.js';
import { INIT } from '../specs.js';

export const run: CommandRunner = async (args: string[], io: CliIo) => {
  try {
    const parsed = parseCommand(INIT, args);
    if (parsed.help) {
      io.out(usageText(INIT));
      return 0;
    }
    const v = parsed.values as { lang?: string; name?: string; 'sdk-version'?: string; 'no-install'?: boolean };
    const lang = (v.lang ?? 'as') as Language;
    if (!LANGUAGES.includes(lang)) throw usageError(INIT, `--lang must be one of ${LANGUAGES.join(', ')}, not "${v.lang}"`);
    if (v.name !== undefined && !/^[a-z][a-z0-9-]*$/.test(v.name)) {
      throw usageError(INIT, `--name must be lowercase letters, digits and dashes, starting with a letter (it names the npm package, Go module and crate), not "${v.name}"`);
    }
    const dirArg = parsed.positionals[0]!;
    const sdkVersion = v['sdk-version'] ?? io.env.WASMGATE_SDK_VERSION;
    const r = initProject({ dir: resolve(io.cwd, dirArg), lang, ...(v.name ? { name: v.name } : {}), ...(sdkVersion ? { sdkVersion } : {}) });
    const shown = relative(io.cwd, r.dir) || '.';
    io.out(`created ${r.name} (${LANGUAGE_NAMES[lang]}) in ${shown}:`);
    for (const f of r.files) io.out(`  ${f}`);
    const local = Object.entries(r.dependencies).filter(([, spec]) => spec.startsWith('file:'));
    if (local.length > 0) io.out(`@wasmgate packages come from this installation (${local.map(([n]) => n).join(', ')} as file: paths); --sdk-version or WASMGATE_SDK_VERSION picks registry versions instead.`);
    const install = v['no-install'] !== true;
    if (install) await npmInstall(r.dir, shown, io);
    io.out('next:');
    io.out(`  cd ${shown}`);
    if (lang === 'go') io.out('  go mod tidy');
    if (lang === 'rust') io.out('  rustup target add wasm32-wasip1');
    if (!install) io.out('  npm install');
    io.out('  npm test        # build/plugin.wasm, then the tests in test/');
    io.out('  npm run dev     # serve on http://127.0.0.1:8080, rebuild on save');
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
};

/**
 * `npm install` in the new project, so that `npm test` works right after init (the dependencies are
 * file: links to this installation plus assemblyscript from the registry). npm's output is shown
 * only when it fails.
 */
async function npmInstall(dir: string, shown: string, io: CliIo): Promise<void> {
  const npm = which(process.platform === 'win32' ? 'npm.cmd' : 'npm', io.env);
  if (!npm) {
    throw new WasmgateError('WG_INIT_INSTALL', `created ${shown}, but npm is not on PATH to install its dependencies`, {
      hint: `Install Node.js with npm, then run npm install in ${shown} (or use wasmgate init --no-install).`,
    });
  }
  io.out(`installing dependencies: npm install (in ${shown}) …`);
  const r = await exec(npm, ['install', '--no-audit', '--no-fund'], { cwd: dir, env: io.env });
  if (r.code !== 0) {
    io.err(r.output.trimEnd());
    throw new WasmgateError('WG_INIT_INSTALL', `created ${shown}, but npm install failed there (exit ${r.code ?? 'signal'})`);
  }
}
