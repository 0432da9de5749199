#!/usr/bin/env node
// Release rehearsal: the real release path, end to end, against a real npm registry on loopback (Verdaccio).
//   1. Copies the workspace (tracked and untracked files, each package's built files) into a temporary git repository,
//      so the repository itself is never versioned or tagged.
//   2. `changeset status` → the release plan; `changeset version` → versions and CHANGELOGs, checked against the plan:
//      every release has its version, no package crosses a major that no changeset asked for (changesets bumps a peer
//      dependent a major when a dependency leaves its range), and each package's new CHANGELOG entry names every
//      changeset behind it (or its updated dependencies).
//   3. `changeset publish` with the repository's real manifests to the local registry (pnpm rewrites `workspace:`
//      ranges), then checks that every version published is exactly what `pnpm pack` makes of it, file by file, and
//      that its tags exist; publint --strict and attw check the same tarballs.
//   4. A patch changeset for @ft/core, versioned and published the same way: no method package is bumped (their peer
//      ranges accept the patch).
//   5. For EACH package, a fresh plain-npm app outside the workspace whose `.npmrc` sends `@ft/*` to the registry:
//      `npm install <name>@<version>` (with the @ft packages it needs at their released versions) alone, the smoke call
//      under ESM and CJS, the README examples (scripts/smoke-pack.mjs's checks); then, in the app of each package with
//      @ft/core as a peer (the method packages and @ft/report),
//      `npm install @ft/core@<patch>`: npm accepts it against the published peer range, `npm ls` is clean, and the
//      smoke call runs again on the upgraded core.
//
//   node scripts/release-rehearsal.mjs [--keep] [--only core,adafilter]
//     --keep: leave the temporary folder and print its path; --only: the apps of these package folders (everything is
//     still versioned, published and compared; CI runs every app)
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registryFetch, startLocalRegistry } from './local-registry.mjs';
import { checkApps, npmInstall, packTarballs, printFootprints, runInApp, smokeSource, tally } from './smoke-pack.mjs';
import { publishablePackages, root } from './workspace.mjs';

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...opts });

/** Bump order, to compare a release's type with what its changesets asked for. */
const BUMP_RANK = { none: 0, patch: 1, minor: 2, major: 3 };

/**
 * Problems of a versioned workspace against `changeset status`'s plan: a release whose package.json does not carry
 * its planned version, and a major bump no changeset asked for (the peer-dependency cascade). `versions` maps a package
 * name to its package.json version after `changeset version`.
 */
export function planProblems(plan, versions) {
  const problems = [];
  const asked = new Map(); // package → highest bump its own changesets ask for
  for (const cs of plan.changesets)
    for (const r of cs.releases)
      if ((BUMP_RANK[r.type] ?? 0) > (BUMP_RANK[asked.get(r.name)] ?? 0)) asked.set(r.name, r.type);
  for (const r of plan.releases) {
    if (r.type === 'none') continue;
    if (versions[r.name] !== r.newVersion)
      problems.push(`${r.name}: planned ${r.newVersion}, package.json says ${versions[r.name]}`);
    if (r.type === 'major' && asked.get(r.name) !== 'major')
      problems.push(
        `${r.name}: ${r.oldVersion} → ${r.newVersion} is a major bump no changeset asked for (its own changesets ask ` +
          `for ${asked.get(r.name) ?? 'nothing'}): changesets bumps a peer dependent a major when a dependency ` +
          'leaves its peer range; see CONTRIBUTING.md, "Versions while 0.x"',
      );
  }
  return problems;
}

/** The text of the newest `## <version>` section of a CHANGELOG (up to the next `## `), or null. */
export function changelogEntry(changelog, version) {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${version}`);
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/**
 * Problems of a released package's CHANGELOG entry: it must exist for `release.newVersion` and name the first line of
 * the summary of every changeset behind the release, or, for a release without changesets of its own, list its
 * updated dependencies.
 */
export function changelogProblems(changelog, release, changesets) {
  const entry = changelogEntry(changelog ?? '', release.newVersion);
  if (entry === null) return [`${release.name}: CHANGELOG.md has no "## ${release.newVersion}" entry`];
  const problems = [];
  const own = changesets.filter((c) => release.changesets.includes(c.id));
  for (const c of own) {
    const first = c.summary.split('\n')[0].trim();
    if (!entry.includes(first))
      problems.push(`${release.name}@${release.newVersion}: CHANGELOG entry lacks changeset ${c.id} ("${first}")`);
  }
  if (own.length === 0 && !entry.includes('Updated dependencies'))
    problems.push(`${release.name}@${release.newVersion}: CHANGELOG entry names neither changesets nor dependencies`);
  return problems;
}

/** sha256 of every file under `dir`, by path relative to it (sorted). */
export function treeDigest(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out[path.relative(dir, f)] = crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Fields (dotted paths) whose values differ between two manifests, key order ignored: `path: packed → published`. */
export function manifestDiff(a, b, prefix = '') {
  const out = [];
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  for (const k of [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort()) {
    const [x, y] = [a?.[k], b?.[k]];
    if (isObj(x) && isObj(y)) out.push(...manifestDiff(x, y, `${prefix}${k}.`));
    else if (JSON.stringify(x) !== JSON.stringify(y))
      out.push(`${prefix}${k}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  }
  return out;
}

/** Differences between two {@link treeDigest}s: files only in one, and files whose content differs. */
export function digestDiff(a, b) {
  const diffs = [];
  for (const k of Object.keys(a)) if (!(k in b)) diffs.push(`only in the packed tarball: ${k}`);
  for (const k of Object.keys(b)) if (!(k in a)) diffs.push(`only in the published tarball: ${k}`);
  for (const k of Object.keys(a)) if (k in b && a[k] !== b[k]) diffs.push(`content differs: ${k}`);
  return diffs;
}

/**
 * The repository as a release job sees it, in `ws`: a local clone (its history gives the CHANGELOG entries their
 * commits), the working tree's uncommitted and untracked-but-not-ignored files on top (committed there, so a rehearsal
 * before a commit rehearses what would be committed), and each package's ignored build output (`dist`) copied from the workspace, which `.ci/run` has just built.
 */
function cloneWorkspace(ws, git) {
  run('git', ['clone', '-q', '--no-local', root, ws]);
  const changed = run('git', ['ls-files', '-mo', '--exclude-standard', '-z'], { cwd: root })
    .split('\0')
    .filter(Boolean);
  for (const f of changed) {
    const src = path.join(root, f);
    if (!fs.existsSync(src) || fs.statSync(src).isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
    fs.copyFileSync(src, path.join(ws, f));
  }
  for (const f of run('git', ['ls-files', '-d', '-z'], { cwd: root }).split('\0').filter(Boolean))
    fs.rmSync(path.join(ws, f), { force: true });
  if (run('git', ['status', '--porcelain'], { cwd: ws }).trim()) {
    git('add', '-A');
    git('commit', '-q', '-m', 'uncommitted changes at the time of the rehearsal');
  }
  for (const folder of fs.readdirSync(path.join(root, 'packages'))) {
    const dist = path.join(root, 'packages', folder, 'dist');
    if (fs.existsSync(dist)) fs.cpSync(dist, path.join(ws, 'packages', folder, 'dist'), { recursive: true });
  }
}

async function main() {
  const keep = process.argv.includes('--keep');
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;
  const t = tally();
  const log = (m) => process.stdout.write(`[${t.secs()}] ${m}\n`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-release-'));
  const ws = path.join(work, 'ws');
  let registry = null;
  try {
    registry = await startLocalRegistry({ dir: path.join(work, 'registry') });
    log(`verdaccio on ${registry.url} (storage ${path.join(work, 'registry', 'storage')})`);
    const git = (...args) =>
      run('git', ['-c', 'user.name=ft release', '-c', 'user.email=release@ft.invalid', ...args], { cwd: ws });
    cloneWorkspace(ws, git);
    // The registry and its token: the workspace's .npmrc (kept out of git, as a real CI writes it from a secret).
    fs.writeFileSync(path.join(ws, '.npmrc'), registry.npmrc());
    fs.appendFileSync(path.join(ws, '.git', 'info', 'exclude'), '.npmrc\n');
    // `changeset publish` runs `pnpm publish`: pnpm 10 is found through npx (as everywhere in this repository) before
    // the registry is switched, and put first on the PATH.
    const pnpm = run('npm', ['exec', '--yes', '--package=pnpm@10', '-c', 'command -v pnpm'], { cwd: work }).trim();
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(pnpm, path.join(bin, 'pnpm'));
    const env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      npm_config_registry: registry.url,
      NPM_CONFIG_USERCONFIG: path.join(ws, '.npmrc'),
    };
    const changeset = (...args) => run(path.join(root, 'node_modules', '.bin', 'changeset'), args, { cwd: ws, env });

    /** One release: plan, version, check, commit, publish, check the tags. Returns the versions after it. */
    const release = (label) => {
      const planFile = path.join(work, `plan-${label}.json`);
      changeset('status', `--output=${path.relative(ws, planFile)}`);
      const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
      log(`${label}: ${plan.changesets.length} changesets, ${plan.releases.length} releases`);
      changeset('version');
      const pkgs = publishablePackages(path.join(ws, 'packages'));
      const versions = Object.fromEntries(pkgs.map((p) => [p.json.name, p.json.version]));
      const problems = planProblems(plan, versions);
      for (const r of plan.releases.filter((x) => x.type !== 'none')) {
        const file = path.join(pkgs.find((p) => p.json.name === r.name).dir, 'CHANGELOG.md');
        problems.push(
          ...changelogProblems(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null, r, plan.changesets),
        );
        log(`  ${r.name} ${r.oldVersion} → ${r.newVersion} (${r.type}, ${r.changesets.length} changesets)`);
      }
      if (problems.length) for (const p of problems) t.fail(`${label}: ${p}`);
      else t.ok(`${label}: versions and CHANGELOG entries match the plan of ${plan.changesets.length} changesets`);
      // As a release job does after versioning: install (links the workspace, so pnpm can resolve `workspace:`
      // ranges; offline from the store, install scripts off: the built files are already here) and commit.
      run(pnpm, ['install', '--offline', '--ignore-scripts', '--reporter=silent'], { cwd: ws, env });
      git('add', '-A');
      git('commit', '-q', '-m', `release: ${label}`);
      const out = changeset('publish');
      const tags = new Set(git('tag', '--list').split('\n').filter(Boolean));
      const missing = pkgs.filter((p) => !tags.has(`${p.json.name}@${p.json.version}`));
      if (missing.length)
        t.fail(`${label}: no tag after changeset publish for ${missing.map((p) => p.json.name).join(', ')}`, out);
      else t.ok(`${label}: changeset publish tagged ${pkgs.length} packages`);
      return { plan, versions, pkgs };
    };

    // Release 1: the pending changesets.
    const first = release('release');
    const tarballs = packTarballs(first.pkgs, path.join(work, 'packed'), {
      lint: new Set(first.pkgs.map((p) => p.json.name)),
      log,
    });
    for (const p of first.pkgs) {
      const name = p.json.name;
      const version = first.versions[name];
      try {
        const doc = await (await registryFetch(`${registry.url}${name.replace('/', '%2f')}`)).json();
        const meta = doc.versions?.[version];
        if (!meta)
          throw new Error(`${name}@${version} is not on the registry (versions: ${Object.keys(doc.versions ?? {})})`);
        const published = path.join(work, 'published', p.folder);
        const packed = path.join(work, 'unpacked', p.folder);
        fs.mkdirSync(published, { recursive: true });
        fs.mkdirSync(packed, { recursive: true });
        const tgz = path.join(work, 'published', `${p.folder}.tgz`);
        fs.writeFileSync(tgz, Buffer.from(await (await registryFetch(meta.dist.tarball)).arrayBuffer()));
        run('tar', ['-xzf', tgz, '-C', published]);
        run('tar', ['-xzf', tarballs.get(name), '-C', packed]);
        const diffs = digestDiff(treeDigest(packed), treeDigest(published));
        const manifest = fs.readFileSync(path.join(published, 'package', 'package.json'), 'utf8');
        const i = diffs.indexOf(`content differs: ${path.join('package', 'package.json')}`);
        if (i >= 0) {
          // the manifests are written by two pnpm commands: the same fields and values in another order are the same
          // manifest; anything else is reported field by field
          const a = JSON.parse(fs.readFileSync(path.join(packed, 'package', 'package.json'), 'utf8'));
          const b = JSON.parse(manifest);
          const fields = manifestDiff(a, b);
          if (fields.length) diffs[i] = `package.json differs: ${fields.join('; ')}`;
          else diffs.splice(i, 1);
        }
        if (manifest.includes('workspace:')) diffs.push('the published package.json still has a workspace: range');
        if (diffs.length) t.fail(`${name}@${version}: published ≠ packed`, diffs.join('\n'));
        else
          t.ok(
            `${name}@${version}: published = packed (${Object.keys(treeDigest(published)).length} files, ` +
              `${(fs.statSync(tgz).size / 1024).toFixed(0)} KiB)`,
          );
      } catch (e) {
        t.fail(`${name}@${version}: comparing published and packed`, e);
      }
    }

    // Release 2: a patch of @ft/core; the method packages' peer ranges must accept it, so none of them is bumped.
    fs.writeFileSync(
      path.join(ws, '.changeset', 'rehearsal-core-patch.md'),
      "---\n'@ft/core': patch\n---\n\nRehearsal: a patch release of @ft/core.\n",
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'changeset: rehearsal patch of @ft/core');
    const second = release('core-patch');
    const methods = first.pkgs.filter((p) => p.manifest?.kind === 'method');
    const corePatch = second.versions['@ft/core'];
    const [maj, min, pat] = first.versions['@ft/core'].split('.').map(Number);
    if (corePatch !== `${maj}.${min}.${pat + 1}`)
      t.fail(`@ft/core: the patch release is ${corePatch}, not ${maj}.${min}.${pat + 1}`);
    const bumped = methods.filter((p) => second.versions[p.json.name] !== first.versions[p.json.name]);
    if (bumped.length)
      t.fail(`a patch of @ft/core bumped ${bumped.map((p) => p.json.name).join(', ')}: their peer ranges reject it`);
    else t.ok(`@ft/core ${first.versions['@ft/core']} → ${corePatch}: no method package bumped`);

    // The apps: each package by name and version, from the registry, alone; then the core upgrade.
    const specOf = (name) => `${name}@${first.versions[name]}`;
    const footprints = await checkApps({
      pkgs: first.pkgs.filter((p) => !only || only.includes(p.folder)),
      all: first.pkgs,
      work,
      t,
      specOf,
      npmrc: registry.npmrc('@ft'),
      afterApp: async (p, app, call) => {
        if (!p.json.peerDependencies?.['@ft/core']) return; // the method packages, and @ft/report
        const name = p.json.name;
        try {
          npmInstall(app, [`@ft/core@${corePatch}`]);
          run('npm', ['ls', '--all'], { cwd: app });
          const installed = (n) =>
            JSON.parse(fs.readFileSync(path.join(app, 'node_modules', ...n.split('/'), 'package.json'), 'utf8'))
              .version;
          if (installed('@ft/core') !== corePatch || installed(name) !== first.versions[name])
            throw new Error(`installed @ft/core ${installed('@ft/core')}, ${name} ${installed(name)}`);
          const peer = JSON.parse(
            fs.readFileSync(path.join(app, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
          ).peerDependencies['@ft/core'];
          const out = runInApp(app, 'smoke-upgraded.mjs', smokeSource(call, 'esm'));
          t.ok(
            `${name}@${first.versions[name]} (peer @ft/core ${peer}) with @ft/core@${corePatch}: ${out.slice(0, 60)}`,
          );
        } catch (e) {
          t.fail(`${name}: upgrading @ft/core to ${corePatch}`, e);
        }
      },
    });
    printFootprints(footprints);
  } catch (e) {
    t.fail('release rehearsal', e);
  } finally {
    await registry?.stop();
    // a failed rehearsal keeps its folder (clone, tarballs, registry storage) for the diagnosis
    if (keep || t.failures) log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`release rehearsal: ${t.passed} passed, ${t.failures} failed (${t.secs()})`);
  return t.failures ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exit(await main());
}
