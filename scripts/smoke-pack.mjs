#!/usr/bin/env node
// Pack-and-install smoke test: packs every publishable package, checks it with publint --strict and
// attw, installs the tarballs into a temporary plain-npm project outside the workspace, then imports each
// package through ESM and through CJS and runs one real call.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = path.join(root, 'packages');
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

/** One real call per package, written once and run under both module systems. */
const CALLS = {
  '@ft/core': {
    esm: `import { createRng, cholesky, initBackend } from '@ft/core';`,
    cjs: `const { createRng, cholesky, initBackend } = require('@ft/core');`,
    body: `const info = await initBackend({ prefer: ['cpu'], ignoreEnv: true });
      if (info.name !== 'cpu') throw new Error('backend ' + info.name);
      const u = createRng(1).uniform();
      if (!(u >= 0 && u < 1)) throw new Error('rng');
      const L = cholesky([[4, 2], [2, 3]]);
      console.log('core ok', u.toFixed(6), JSON.stringify(L.data ? Array.from(L.data) : L));`,
  },
  '@ft/cli': {
    esm: `import { runCli, builtinCommands } from '@ft/cli';`,
    cjs: `const { runCli, builtinCommands } = require('@ft/cli');`,
    body: `const code = await runCli(['info', '--json', '--backend', 'cpu'], { commands: builtinCommands });
      if (code !== 0) throw new Error('ft info exit ' + code);`,
  },
  '@ft/jadce': {
    esm: `import { simulateMassiveAccess, commands } from '@ft/jadce'; import { createRng } from '@ft/core';`,
    cjs: `const { simulateMassiveAccess, commands } = require('@ft/jadce'); const { createRng } = require('@ft/core');`,
    body: `const d = simulateMassiveAccess({ N: 20, M: 2, L: 12, activity: 0.2, snrDb: 20, count: 2, rng: createRng(0) });
      if (!commands.some((c) => c.group === 'jadce')) throw new Error('no jadce commands');
      console.log('jadce ok', Object.keys(d).join(','));`,
  },
  '@ft/mahalanobis-ad': {
    esm: `import { GaussianAD } from '@ft/mahalanobis-ad'; import { createRng } from '@ft/core';`,
    cjs: `const { GaussianAD } = require('@ft/mahalanobis-ad'); const { createRng } = require('@ft/core');`,
    body: `const rng = createRng(0);
      const rows = (n, shift) => Array.from({ length: n }, () => [rng.normal() + shift, rng.normal(), rng.normal()]);
      const ad = await new GaussianAD().fit({ gap: rows(200, 0) });
      const s = ad.score({ gap: [...rows(5, 0), ...rows(5, 6)] }).total;
      const normal = Math.max(...s.slice(0, 5));
      const anomalous = Math.min(...s.slice(5));
      if (!(anomalous > normal)) throw new Error('anomalies do not score higher');
      console.log('mahalanobis-ad ok', normal.toFixed(2), anomalous.toFixed(2));`,
  },
  '@ft/adv-finetune': {
    esm: `import { FGSM } from '@ft/adv-finetune'; import * as tf from '@tensorflow/tfjs-core'; import * as tfl from '@tensorflow/tfjs-layers'; import '@tensorflow/tfjs-backend-cpu';`,
    cjs: `const { FGSM } = require('@ft/adv-finetune'); const tf = require('@tensorflow/tfjs-core'); const tfl = require('@tensorflow/tfjs-layers'); require('@tensorflow/tfjs-backend-cpu');`,
    body: `await tf.setBackend('cpu');
      const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 3 })] });
      const x = tf.fill([2, 4, 4, 1], 0.5);
      const adv = new FGSM(m, { eps: 0.1 }).run(x, tf.tensor1d([0, 1], 'int32'));
      const d = tf.max(tf.abs(tf.sub(adv, x))).dataSync()[0];
      if (!(d <= 0.1 + 1e-6 && d > 0)) throw new Error('FGSM step ' + d);
      console.log('adv-finetune ok', d.toFixed(3));`,
  },
  '@ft/tfjs-backend-native': {
    esm: `import { registerNativeBackend } from '@ft/tfjs-backend-native';`,
    cjs: `const { registerNativeBackend } = require('@ft/tfjs-backend-native');`,
    body: `const r = registerNativeBackend();
      console.log('native', JSON.stringify(r));`,
  },
};

// `--only core,cli` restricts the run to some package folders (for local debugging; CI runs all).
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
const pkgs = fs
  .readdirSync(packagesDir)
  .map((d) => path.join(packagesDir, d))
  .filter((d) => fs.existsSync(path.join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private)
  .filter((p) => !only || only.includes(path.basename(p.dir)));

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
  const call = CALLS[p.json.name];
  if (!call) {
    console.error(`smoke: no smoke call defined for ${p.json.name}; add one to scripts/smoke-pack.mjs`);
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
