#!/usr/bin/env node
// Pack-and-install smoke test: packs every publishable package, checks it with publint --strict and
// attw, installs the tarballs into a temporary plain-npm project outside the workspace, then imports each
// package through ESM and through CJS and runs one real call.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { publishablePackages, root } from './workspace.mjs';

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

/**
 * Each package's smoke call lives in its own folder, `packages/<pkg>/test/smoke.mjs`: `imports` (a list of
 * [module, bindings] pairs: 'a, b', '* as tf', or none for a side-effect import) and `body` (code that may await,
 * throws on failure and prints one line). It is written once and run under both module systems.
 */
async function loadSmokeCall(p) {
  const file = path.join(p.dir, 'test', 'smoke.mjs');
  if (!fs.existsSync(file)) return null;
  const { imports, body } = await import(pathToFileURL(file).href);
  const esm = imports
    .map(([mod, names]) =>
      !names
        ? `import '${mod}';`
        : names.startsWith('*')
          ? `import ${names} from '${mod}';`
          : `import { ${names} } from '${mod}';`,
    )
    .join('\n');
  const cjs = imports
    .map(([mod, names]) =>
      !names
        ? `require('${mod}');`
        : names.startsWith('*')
          ? `const ${names.replace(/^\*\s*as\s*/, '')} = require('${mod}');`
          : `const { ${names} } = require('${mod}');`,
    )
    .join('\n');
  return { esm, cjs, body };
}

// `--only core,cli` restricts the run to some package folders (for local debugging; CI runs all).
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
const pkgs = publishablePackages().filter((p) => !only || only.includes(p.folder));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-smoke-'));
const tarDir = path.join(work, 'tarballs');
fs.mkdirSync(tarDir);
const tarballs = [];
for (const p of pkgs) {
  process.stdout.write(`pack ${p.json.name}\n`);
  run('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', tarDir], { cwd: p.dir });
  const file = fs
    .readdirSync(tarDir)
    .find(
      (f) => f.startsWith(p.json.name.replace('@', '').replace('/', '-')) && !tarballs.includes(path.join(tarDir, f)),
    );
  if (!file) throw new Error(`no tarball for ${p.json.name}`);
  const tgz = path.join(tarDir, file);
  tarballs.push(tgz);
  process.stdout.write(`publint ${p.json.name}\n`);
  run('npx', ['publint', '--strict', tgz], { cwd: root });
  process.stdout.write(`attw ${p.json.name}\n`);
  run('npx', ['attw', tgz, '--profile', 'node16', '--format', 'ascii'], { cwd: root });
}

const app = path.join(work, 'app');
fs.mkdirSync(app);
fs.writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify({ name: 'ft-smoke-app', private: true, version: '1.0.0' }),
);
process.stdout.write(`npm install into ${app}\n`);
run(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    '@tensorflow/tfjs-core@4.22.0',
    '@tensorflow/tfjs-layers@4.22.0',
    '@tensorflow/tfjs-backend-cpu@4.22.0',
    ...tarballs,
  ],
  {
    cwd: app,
    env: { ...process.env, npm_config_nodedir: '/usr' },
  },
);

let failures = 0;
for (const p of pkgs) {
  const call = await loadSmokeCall(p);
  if (!call) {
    console.error(`smoke: ${p.json.name} has no test/smoke.mjs; add one (see CONTRIBUTING.md)`);
    failures++;
    continue;
  }
  for (const kind of ['esm', 'cjs']) {
    const file = path.join(app, `smoke-${p.json.name.replace(/[@/]/g, '_')}.${kind === 'esm' ? 'mjs' : 'cjs'}`);
    const src =
      kind === 'esm'
        ? `${call.esm}\n${call.body}\n`
        : `${call.cjs}\n(async () => {\n${call.body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
    fs.writeFileSync(file, src);
    try {
      const out = run('node', [file], { cwd: app });
      process.stdout.write(`ok   ${p.json.name} (${kind}) ${out.trim().split('\n').pop()?.slice(0, 100) ?? ''}\n`);
    } catch (e) {
      failures++;
      console.error(`FAIL ${p.json.name} (${kind}):\n${e.stderr || e.message}`);
    }
  }
}
fs.rmSync(work, { recursive: true, force: true });
const total = pkgs.length * 2;
console.log(`smoke: ${total - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
