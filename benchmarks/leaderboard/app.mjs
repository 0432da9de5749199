// The leaderboard's app: the @ft packages as published, not the workspace. Every publishable package is packed
// (`pnpm pack`, the tarball `pnpm publish` uploads), published to a local Verdaccio registry and installed by
// name@version with plain npm into `.cache/leaderboard/app`, next to tfjs; the benchmark's own files are copied into
// `app/bench/` and run there, so `@ft/...` resolves to the installed packages only. The app is reused while every
// package's content digest is unchanged.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registryFetch, startLocalRegistry } from '../../scripts/local-registry.mjs';
import { treeDigest } from '../../scripts/release-rehearsal.mjs';
import { npmInstall, packTarballs } from '../../scripts/smoke-pack.mjs';
import { publishablePackages, root } from '../../scripts/workspace.mjs';

const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-layers@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0'];
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...opts });

/** package.json fields that change what runs (the rest, e.g. description, keywords or `ft.results`, does not). */
const RUNTIME_FIELDS = [
  'name',
  'type',
  'main',
  'module',
  'types',
  'exports',
  'imports',
  'bin',
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
  'scripts',
];

/**
 * A digest of what a package runs: its files except the documents (README, CHANGELOG, LICENSE), and package.json's
 * runtime fields with the @ft ranges blanked, so a release (version, ranges, CHANGELOG) or a docs edit changes nothing.
 */
export function contentDigest(unpackedDir) {
  const files = treeDigest(unpackedDir);
  for (const k of Object.keys(files))
    if (/^package\/(README|CHANGELOG|LICENSE)[^/]*$/i.test(k) || k === 'package/package.json') delete files[k];
  const pj = JSON.parse(fs.readFileSync(path.join(unpackedDir, 'package', 'package.json'), 'utf8'));
  const runtime = {};
  for (const f of RUNTIME_FIELDS) if (pj[f] !== undefined) runtime[f] = pj[f];
  for (const k of ['dependencies', 'peerDependencies', 'optionalDependencies'])
    for (const d of Object.keys(runtime[k] ?? {})) if (d.startsWith('@ft/')) runtime[k] = { ...runtime[k], [d]: '*' };
  files['package/package.json'] = crypto.createHash('sha256').update(JSON.stringify(runtime)).digest('hex');
  return crypto.createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
}

/**
 * Packs every publishable package and returns `{ name: { version, digest, tgz } }`; the tarballs stay in `work`.
 */
export function packAll(work, log) {
  const pkgs = publishablePackages();
  const tarballs = packTarballs(pkgs, path.join(work, 'tarballs'), { log: () => {} });
  const out = {};
  for (const p of pkgs) {
    const dir = path.join(work, 'unpacked', p.folder);
    fs.mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tarballs.get(p.json.name), '-C', dir]);
    out[p.json.name] = { version: p.json.version, digest: contentDigest(dir), tgz: tarballs.get(p.json.name) };
  }
  log(`[leaderboard] packed ${pkgs.length} packages`);
  return out;
}

/**
 * Makes sure `appDir` holds every package of `packed` as published (reinstalling through a fresh local registry when
 * any digest differs from the installed ones), and copies the benchmark files into `appDir/bench`. Returns the
 * installed manifest `{ name: { version, digest, integrity } }`.
 */
export async function prepareApp(appDir, packed, { benchDir, log }) {
  const manifestFile = path.join(appDir, 'installed.json');
  const wanted = Object.fromEntries(Object.entries(packed).map(([n, v]) => [n, v.digest]));
  const have = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')) : null;
  const same = have && Object.keys(wanted).every((n) => have[n]?.digest === wanted[n]);
  if (!same) {
    log('[leaderboard] installing the packages as published (local registry) into the app');
    fs.rmSync(appDir, { recursive: true, force: true });
    fs.mkdirSync(appDir, { recursive: true });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-leaderboard-registry-'));
    let registry = null;
    try {
      registry = await startLocalRegistry({ dir: work });
      const npmrc = path.join(work, 'publish.npmrc');
      fs.writeFileSync(npmrc, registry.npmrc());
      for (const [name, p] of Object.entries(packed)) {
        run('npm', ['publish', p.tgz, '--registry', registry.url, '--access', 'public'], {
          env: { ...process.env, NPM_CONFIG_USERCONFIG: npmrc },
        });
        log(`[leaderboard]   published ${name}@${p.version}`);
      }
      fs.writeFileSync(
        path.join(appDir, 'package.json'),
        JSON.stringify({ name: 'ft-leaderboard-app', private: true, type: 'module', version: '1.0.0' }),
      );
      fs.writeFileSync(path.join(appDir, '.npmrc'), registry.npmrc('@ft'));
      npmInstall(appDir, [...TFJS, ...Object.entries(packed).map(([n, p]) => `${n}@${p.version}`)]);
      const manifest = {};
      for (const [name, p] of Object.entries(packed)) {
        const doc = await (await registryFetch(`${registry.url}${name.replace('/', '%2f')}`)).json();
        manifest[name] = { version: p.version, digest: p.digest, integrity: doc.versions[p.version].dist.integrity };
      }
      fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      fs.rmSync(path.join(appDir, '.npmrc'));
    } finally {
      await registry?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  // the benchmark's own files (they import @ft/... by name, resolved in the app)
  const bench = path.join(appDir, 'bench');
  fs.rmSync(bench, { recursive: true, force: true });
  fs.mkdirSync(path.join(bench, 'entries'), { recursive: true });
  for (const f of ['worker.mjs', 'entry.mjs', 'protocol.mjs', 'transfer-model.mjs'])
    fs.copyFileSync(path.join(benchDir, f), path.join(bench, f));
  for (const f of fs.readdirSync(path.join(benchDir, 'entries')))
    fs.copyFileSync(path.join(benchDir, 'entries', f), path.join(bench, 'entries', f));
  return JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
}

export { root };
