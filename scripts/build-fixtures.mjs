// Rebuilds wasmgate's own fixture plugins (fixtures/README.md lists them).
//
//   node scripts/build-fixtures.mjs           rebuild and overwrite the committed .wasm files
//   node scripts/build-fixtures.mjs --check   rebuild into a temp dir; exit 1 listing every
//                                             fixture whose committed .wasm differs (CI)
//   ... [name ...]                            only fixtures whose path contains a name
//
// WAT  fixtures/wat/<name>.wat       -> fixtures/wat/<name>.wasm   (wabt npm package; always)
// AS   fixtures/as/<name>/index.ts   -> fixtures/as/<name>.wasm    (assemblyscript npm package; always)
// C    fixtures/c/<name>.c           -> fixtures/c/<name>.wasm     (only where clang + wasm-ld exist)
//
// WAT and AssemblyScript builds are byte-reproducible: the compilers are pinned npm packages and
// nothing machine-specific (paths, times) reaches the output. C is checked only when the local
// clang is the one the committed binaries were built with (C_TOOLCHAIN below), since another
// clang version emits other bytes. fixtures/go/ is not touched: those binaries come prebuilt.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import asc from 'assemblyscript/asc';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const fixtures = join(root, 'fixtures');

/** First line of `clang --version` for the committed C binaries. */
const C_TOOLCHAIN = 'Debian clang version 14.0.6';

/** clang flags for a raw-ABI plugin: no libc, no entry point, exports by attribute. */
const C_FLAGS = [
  '--target=wasm32', '-O2', '-nostdlib', '-ffreestanding', '-fno-builtin',
  '-Wall', '-Wextra', '-Werror',
  '-Wl,--no-entry', '-Wl,--strip-debug', // exports come from export_name attributes
  // 64 KiB of shadow stack before the data, so an overflow traps instead of corrupting data.
  '-Wl,-z,stack-size=65536', '-Wl,--stack-first',
];

/**
 * asc flags shared by every AssemblyScript fixture. `--use abort=` routes AssemblyScript's
 * abort to the runtime's proxy_log + unreachable, so no fixture imports env.abort.
 */
const AS_FLAGS = [
  '-O3', '--runtime', 'incremental', '--noColors',
  '--use', 'abort=fixtures/as/runtime/abort/proxyAbort',
];

const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => !a.startsWith('--'));
const wanted = (rel) => only.length === 0 || only.some((s) => rel.includes(s));

const outRoot = check ? mkdtempSync(join(tmpdir(), 'wasmgate-fixtures-')) : fixtures;
/** Where a fixture's .wasm goes: beside its source, or the same relative path in the temp dir. */
const outPath = (rel) => {
  const p = join(outRoot, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  return p;
};

const built = []; // fixture-relative .wasm paths produced in this run
const skipped = []; // [what, why]

// --- WAT -------------------------------------------------------------------
async function buildWat() {
  const wabt = await wabtInit();
  const dir = join(fixtures, 'wat');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat')).sort()) {
    const rel = `wat/${file.replace(/\.wat$/, '.wasm')}`;
    if (!wanted(rel)) continue;
    const mod = wabt.parseWat(file, readFileSync(join(dir, file), 'utf8'));
    try {
      mod.resolveNames();
      mod.validate();
      // Debug names keep $function names in trap stack traces; they are deterministic.
      const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
      writeFileSync(outPath(rel), buffer);
      built.push(rel);
    } finally {
      mod.destroy();
    }
  }
}

// --- AssemblyScript ----------------------------------------------------------
async function buildAs() {
  const dir = join(fixtures, 'as');
  for (const name of readdirSync(dir).sort()) {
    if (name === 'runtime' || !existsSync(join(dir, name, 'index.ts'))) continue;
    const rel = `as/${name}.wasm`;
    if (!wanted(rel)) continue;
    // Paths are given relative to the repository root so that the file names compiled into
    // abort messages are the same on every machine.
    const argv = [
      relative(root, join(dir, name, 'index.ts')),
      '--outFile', relative(root, outPath(rel)),
      '--baseDir', root,
      ...AS_FLAGS,
    ];
    const stderr = [];
    const { error } = await asc.main(argv, {
      stdout: { write: (s) => process.stdout.write(s) },
      stderr: { write: (s) => stderr.push(String(s)) },
    });
    if (error) {
      process.stderr.write(stderr.join(''));
      throw new Error(`asc failed for ${rel}: ${error.message}`);
    }
    built.push(rel);
  }
}

// --- C -----------------------------------------------------------------------
/** The clang to use and its version line, or null when none can target wasm32 and link. */
function findClang() {
  for (const cc of ['clang-14', 'clang']) {
    try {
      const version = execFileSync(cc, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
      const targets = execFileSync(cc, ['-print-targets'], { encoding: 'utf8' });
      const ld = execFileSync(cc, ['-print-prog-name=wasm-ld'], { encoding: 'utf8' }).trim();
      if (!/\bwasm32\b/.test(targets)) continue;
      if (!existsSync(ld)) {
        try { execFileSync('wasm-ld', ['--version'], { stdio: 'ignore' }); } catch { continue; }
      }
      return { cc, version };
    } catch {
      // not installed: try the next name
    }
  }
  return null;
}

/**
 * clang runs `wasm-opt` after linking whenever one is on PATH, and `npm run` puts binaryen's (an
 * AssemblyScript dependency) there: the output would then depend on how the script was started.
 * Dropping node_modules/.bin from clang's PATH keeps C builds byte-reproducible.
 */
function clangEnv() {
  const path = (process.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules')).join(':');
  return { ...process.env, PATH: path };
}

function buildC() {
  const dir = join(fixtures, 'c');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort()
    .filter((f) => wanted(`c/${f.replace(/\.c$/, '.wasm')}`));
  if (sources.length === 0) return;
  const clang = findClang();
  if (!clang) {
    skipped.push(['C fixtures', 'no clang with the wasm32 target and wasm-ld (apt-get install clang-14 lld-14)']);
    return;
  }
  if (check && !clang.version.startsWith(C_TOOLCHAIN)) {
    skipped.push(['C fixtures', `built with "${C_TOOLCHAIN}", this machine has "${clang.version}"`]);
    return;
  }
  for (const file of sources) {
    const rel = `c/${file.replace(/\.c$/, '.wasm')}`;
    const out = outPath(rel);
    try {
      execFileSync(clang.cc, [...C_FLAGS, '-o', out, join('fixtures', 'c', file)], { cwd: root, stdio: 'inherit', env: clangEnv() });
    } catch {
      throw new Error(`${clang.cc} failed for fixtures/c/${file}`);
    }
    chmodSync(out, 0o644); // the linker marks its output executable; fixtures are data
    built.push(rel);
  }
}

try {
  await buildWat();
  await buildAs();
  buildC();
} catch (err) {
  console.error(`build-fixtures: ${err.message}`);
  if (check) rmSync(outRoot, { recursive: true, force: true });
  process.exit(1);
}

for (const [what, why] of skipped) console.log(`skipped ${what}: ${why}`);
if (check) {
  const differ = built.filter((rel) => {
    const committed = join(fixtures, rel);
    return !existsSync(committed) || !readFileSync(committed).equals(readFileSync(join(outRoot, rel)));
  });
  rmSync(outRoot, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error('build-fixtures --check: these committed fixtures differ from a fresh build');
    for (const rel of differ) console.error(`  fixtures/${rel}`);
    console.error('run `npm run fixtures` and commit the result');
    process.exit(1);
  }
  console.log(`build-fixtures --check: ${built.length} fixtures match`);
} else {
  for (const rel of built) console.log(`fixtures/${rel}  ${readFileSync(join(fixtures, rel)).length} bytes`);
}
