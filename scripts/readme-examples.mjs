#!/usr/bin/env node
// README examples as tests: every fenced ts/js/mjs/cjs block of a README is written as a file into an app folder
// where the packages are installed, type-checked with the workspace's TypeScript (strict, against the app's
// node_modules types) and run with node, one process per block with a timeout.
//
//   node scripts/readme-examples.mjs --app <dir with node_modules> [packages/<pkg> ...]   (default: every package)
//   node scripts/readme-examples.mjs --app /tmp/app --link packages/core   (app linked to the workspace builds)
//
// Markers (HTML comments on the lines right above the fence, invisible on GitHub and npm):
//   <!-- example: skip (why) -->   do not run this block; the reason is printed
//   <!-- example: zoo -->          the block loads zoo models: FT_ZOO_DIR is set to the repository's zoo folder
// Shell blocks (sh, bash, shell, console) and blocks without a language are documentation, never run.
// The files stay in <app>/readme-<pkg>/ with a tsconfig.json, so a failure can be rerun by hand there.
// Examples are written to run small (well under a minute each on the cpu backend); the runner also sets
// FT_EXAMPLE_SMALL=1 for an example that wants to shrink a size it would otherwise show at full scale.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

/** Fence languages that are run, and the file extension each is written with. */
export const EXAMPLE_LANGUAGES = {
  ts: 'mts',
  typescript: 'mts',
  mts: 'mts',
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
  cjs: 'cjs',
};

/** Default time limit of one example (type-checking excluded): `FT_EXAMPLE_TIMEOUT_MS` or 120 s. */
export const DEFAULT_EXAMPLE_TIMEOUT_MS = Number(process.env.FT_EXAMPLE_TIMEOUT_MS) || 120_000;

const MARKER = /^\s*<!--\s*example:\s*(.*?)\s*-->\s*$/;

/**
 * The code blocks of a Markdown text that are examples: fenced blocks whose info string starts with a language of
 * {@link EXAMPLE_LANGUAGES}. Returns every such block with `index` (1-based among the examples), `line` (1-based line
 * of the opening fence), `lang`, `ext` (`mts`, `mjs` or `cjs`), `code`, `skip` (the reason of an
 * `<!-- example: skip (reason) -->` marker, else null) and `zoo` (an `<!-- example: zoo -->` marker).
 * Fences of three or more backticks or tildes close only with the same character and at least the same length.
 * A marker comment that is not followed by a fence is an error (a typo would otherwise silently run or skip).
 */
export function extractExamples(markdown) {
  const lines = markdown.split(/\r?\n/);
  const out = [];
  let pending = []; // markers seen on the lines directly above
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s{0,3})(`{3,}|~{3,})\s*([^\s`]*)?.*$/.exec(lines[i]);
    const marker = MARKER.exec(lines[i]);
    if (marker) {
      pending.push({ text: marker[1], line: i + 1 });
      continue;
    }
    if (!open) {
      if (pending.length) {
        throw new Error(`line ${pending[0].line}: "<!-- example: ${pending[0].text} -->" must be right above a fence`);
      }
      continue;
    }
    const fence = open[2];
    const lang = (open[3] ?? '').toLowerCase();
    const body = [];
    let j = i + 1;
    const close = new RegExp(`^\\s{0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    while (j < lines.length && !close.test(lines[j])) body.push(lines[j++]);
    const markers = pending;
    pending = [];
    const startLine = i + 1;
    i = j; // continue after the closing fence
    const ext = EXAMPLE_LANGUAGES[lang];
    if (!ext) continue;
    let skip = null;
    let zoo = false;
    for (const m of markers) {
      const s = /^skip\s*\((.+)\)$/.exec(m.text);
      if (s) skip = s[1].trim();
      else if (m.text === 'zoo') zoo = true;
      else throw new Error(`line ${m.line}: unknown marker "<!-- example: ${m.text} -->" (skip (reason) | zoo)`);
    }
    out.push({ index: out.length + 1, line: startLine, lang, ext, code: `${body.join('\n')}\n`, skip, zoo });
  }
  if (pending.length) throw new Error(`line ${pending[0].line}: marker at the end of the file`);
  return out;
}

/** The repository's zoo folder (zoo/ at the root, or packages/zoo/zoo, packages/zoo), or null. */
export function findZooDir(root = repoRoot) {
  for (const d of [
    path.join(root, 'zoo'),
    path.join(root, 'packages', 'zoo', 'zoo'),
    path.join(root, 'packages', 'zoo'),
  ]) {
    if (fs.existsSync(path.join(d, 'manifest.json'))) return d;
  }
  return null;
}

/**
 * Type-checks files with the workspace's TypeScript, as `tsc --noEmit --strict` would in the app: module
 * resolution NodeNext from the files' folder (so the app's node_modules and the packages' `exports` types are what
 * is checked), JS files checked too (`checkJs`), every file a module, `appDir` the folder whose
 * node_modules/@types/node is used (else the workspace's). Returns a Map file → diagnostics text ('' when
 * clean).
 */
export function typecheckFiles(files, { appDir, ts = createRequire(import.meta.url)('typescript') } = {}) {
  // @types/node from the app when it has it, else the workspace's (examples may use `process`).
  const typeRoots = [
    appDir && path.join(appDir, 'node_modules', '@types'),
    path.join(repoRoot, 'node_modules', '@types'),
  ]
    .filter((d) => d && fs.existsSync(path.join(d, 'node')))
    .slice(0, 1);
  const options = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots,
    allowJs: true,
    checkJs: true,
    skipLibCheck: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
  };
  const program = ts.createProgram(files, options);
  const byFile = new Map(files.map((f) => [path.resolve(f), []]));
  const global = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && byFile.has(path.resolve(d.file.fileName))) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      byFile
        .get(path.resolve(d.file.fileName))
        .push(`${path.basename(d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${text}`);
    } else if (!d.file) global.push(`TS${d.code}: ${text}`);
  }
  return new Map([...byFile].map(([f, errs]) => [f, [...global, ...errs].join('\n')]));
}

function runNode(file, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: out });
    });
  });
}

const tail = (s, n = 25) => s.trimEnd().split('\n').slice(-n).join('\n');

/**
 * Runs every example of `<pkgDir>/README.md` inside `appDir`, a folder whose node_modules holds the packages (the
 * packed tarballs installed with npm, or links to the workspace builds). Each block becomes a file in
 * `<appDir>/readme-<pkg>/` (TypeScript as `.mts`, JavaScript as `.mjs` / `.cjs`); all of them are type-checked in
 * one strict TypeScript program, then each is run with node (TypeScript transpiled by `ts.transpileModule` first)
 * in that folder, with `FT_EXAMPLE_SMALL=1`, `FT_ZOO_DIR` for `zoo` examples, and a time limit. A type error, a
 * non-zero exit or a timeout fails the block; skipped blocks print their reason.
 *
 * @returns `{ passed, failed, skipped, results: [{ index, line, lang, file, status: 'pass'|'fail'|'skip', reason?,
 *   ms?, output? }] }`
 */
export async function runReadmeExamples({
  appDir,
  pkgDir,
  pkgName,
  timeoutMs = DEFAULT_EXAMPLE_TIMEOUT_MS,
  env = {},
  log = (line) => process.stdout.write(`${line}\n`),
}) {
  const readme = path.join(pkgDir, 'README.md');
  const name = pkgName ?? JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).name;
  const examples = extractExamples(fs.readFileSync(readme, 'utf8'));
  const dir = path.join(path.resolve(appDir), `readme-${name.replace(/^@/, '').replace(/[^a-zA-Z0-9._-]/g, '-')}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const ts = createRequire(import.meta.url)('typescript');
  const where = (ex) => `${name} README example ${ex.index} (${ex.lang}, README.md:${ex.line})`;

  const results = [];
  const toRun = [];
  for (const ex of examples) {
    if (ex.skip) continue;
    const file = path.join(dir, `example-${ex.index}.${ex.ext}`);
    fs.writeFileSync(file, ex.code);
    toRun.push({ ex, file });
  }
  // the same settings as a tsconfig.json, to rerun the check by hand: npx tsc -p <dir>
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          moduleDetection: 'force',
          lib: ['ES2023'],
          types: ['node'],
          allowJs: true,
          checkJs: true,
          skipLibCheck: true,
        },
        files: toRun.map((t) => path.basename(t.file)),
      },
      null,
      2,
    )}\n`,
  );
  const diagnostics = toRun.length
    ? typecheckFiles(
        toRun.map((t) => t.file),
        { appDir, ts },
      )
    : new Map();
  const zooDir = findZooDir();
  for (const ex of examples) {
    if (ex.skip) {
      log(`skip ${where(ex)}: ${ex.skip}`);
      results.push({ index: ex.index, line: ex.line, lang: ex.lang, status: 'skip', reason: ex.skip });
      continue;
    }
    const { file } = toRun.find((t) => t.ex === ex);
    const base = { index: ex.index, line: ex.line, lang: ex.lang, file };
    const diag = diagnostics.get(path.resolve(file));
    if (diag) {
      log(`FAIL ${where(ex)}: type errors\n${diag}`);
      results.push({ ...base, status: 'fail', reason: 'type errors', output: diag });
      continue;
    }
    let runFile = file;
    if (ex.ext === 'mts') {
      const js = ts.transpileModule(ex.code, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      runFile = file.replace(/\.mts$/, '.mjs');
      fs.writeFileSync(runFile, js);
    }
    if (ex.zoo && !zooDir) {
      log(`FAIL ${where(ex)}: needs the zoo, and no zoo folder was found in ${repoRoot}`);
      results.push({ ...base, status: 'fail', reason: 'no zoo folder' });
      continue;
    }
    const t0 = performance.now();
    const r = await runNode(runFile, {
      cwd: dir,
      timeoutMs,
      env: { ...process.env, FT_EXAMPLE_SMALL: '1', ...(ex.zoo ? { FT_ZOO_DIR: zooDir } : {}), ...env },
    });
    const ms = Math.round(performance.now() - t0);
    const secs = `${(ms / 1000).toFixed(1)} s`;
    if (r.code === 0 && !r.timedOut) {
      const last = r.output.trim().split('\n').pop() ?? '';
      log(`ok   ${where(ex)} ${secs}${last ? `: ${last.slice(0, 100)}` : ''}`);
      results.push({ ...base, status: 'pass', ms, output: r.output });
    } else {
      const reason = r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${r.code ?? r.signal}`;
      log(`FAIL ${where(ex)} ${secs}: ${reason}\n${tail(r.output)}`);
      results.push({ ...base, status: 'fail', reason, ms, output: r.output });
    }
  }
  const count = (s) => results.filter((r) => r.status === s).length;
  const summary = { passed: count('pass'), failed: count('fail'), skipped: count('skip'), results };
  log(`${name}: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
  return summary;
}

/**
 * A quick app for local runs and the tools test: `<appDir>/node_modules/@ft/<pkg>` links to each workspace package
 * (its built dist/, so build first), and `@tensorflow/*` links to the same tfjs copies `@ft/core` uses (one tfjs
 * instance, as in a real install). The smoke test installs the packed tarballs instead.
 */
export function linkWorkspaceApp(appDir, pkgs) {
  const nm = path.join(appDir, 'node_modules');
  fs.mkdirSync(path.join(nm, '@ft'), { recursive: true });
  fs.mkdirSync(path.join(nm, '@tensorflow'), { recursive: true });
  if (!fs.existsSync(path.join(appDir, 'package.json'))) {
    fs.writeFileSync(path.join(appDir, 'package.json'), '{"name":"ft-readme-app","private":true,"version":"1.0.0"}\n');
  }
  const link = (target, at) => {
    if (!fs.existsSync(at)) fs.symlinkSync(target, at, 'dir');
  };
  for (const p of pkgs) link(p.dir, path.join(nm, ...p.json.name.split('/')));
  const tfDir = path.join(repoRoot, 'packages', 'core', 'node_modules', '@tensorflow');
  for (const t of fs.readdirSync(tfDir)) link(fs.realpathSync(path.join(tfDir, t)), path.join(nm, '@tensorflow', t));
  return appDir;
}

// CLI: node scripts/readme-examples.mjs --app <dir> [--link] [pkgDir ...]
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const appAt = args.indexOf('--app');
  if (appAt < 0 || !args[appAt + 1]) {
    console.error('usage: node scripts/readme-examples.mjs --app <dir> [--link] [package dir ...]');
    process.exit(2);
  }
  const appDir = path.resolve(args[appAt + 1]);
  const linkApp = args.includes('--link');
  const rest = args.filter((a, i) => i !== appAt && i !== appAt + 1 && a !== '--link');
  const { publishablePackages } = await import('./workspace.mjs');
  if (linkApp) linkWorkspaceApp(appDir, publishablePackages());
  const dirs = rest.length ? rest.map((d) => path.resolve(d)) : publishablePackages().map((p) => p.dir);
  let failed = 0;
  for (const pkgDir of dirs) failed += (await runReadmeExamples({ appDir, pkgDir })).failed;
  process.exit(failed ? 1 : 0);
}
