#!/usr/bin/env node
/**
 * Builds the oneDNN addon (build/Release/ft_native.node) with node-gyp (configure + build), offline.
 *
 * - Always passes `--nodedir`: without it node-gyp downloads Node headers, which fails where only the npm registry
 *   and apt are reachable. The headers come from the NodeSource `nodejs` package (`/usr/include/node`), Debian's
 *   `libnode-dev`, or the running Node's own prefix; `FT_NATIVE_NODEDIR` overrides the choice.
 * - Never fails the package build (the TS build must succeed where oneDNN is missing): on failure it prints one
 *   warning naming the reason, and `isNativeAvailable()` then reports false with the load error. Pass `--strict`
 *   (the `build:native` script) to exit non-zero instead.
 * - `FT_NATIVE_SKIP_BUILD=1` skips the native build; `--if-missing` (the `install` script) skips it when the addon
 *   already exists. The explicit `install` script also stops npm/pnpm from running their implicit
 *   `node-gyp rebuild` for packages with a binding.gyp (which would download headers and fail offline).
 * - node-gyp comes from this package's devDependencies, else from npm's bundled copy.
 *
 * Requirements (Debian/Ubuntu): `apt-get install -y g++ make python3 libdnnl-dev`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const ifMissing = process.argv.includes('--if-missing');
const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function warn(reason) {
  const msg = `warning: @ft/tfjs-backend-native: native addon not built (${reason}); the package still works and reports isNativeAvailable() === false. Install g++ make python3 libdnnl-dev, then run \`pnpm --filter @ft/tfjs-backend-native build:native\`.`;
  if (strict) {
    console.error(msg.replace(/^warning/, 'error'));
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.env.FT_NATIVE_SKIP_BUILD === '1') {
  console.warn('@ft/tfjs-backend-native: FT_NATIVE_SKIP_BUILD=1, native addon not built');
  process.exit(0);
}

if (ifMissing && existsSync(path.join(pkgDir, 'build', 'Release', 'ft_native.node'))) process.exit(0);

function findNodedir() {
  if (process.env.FT_NATIVE_NODEDIR) return process.env.FT_NATIVE_NODEDIR;
  const candidates = ['/usr', '/usr/local', path.resolve(path.dirname(process.execPath), '..')];
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return null;
}

const nodedir = findNodedir();
if (!nodedir) warn('Node headers not found under /usr, /usr/local or the node prefix (install libnode-dev)');

const dnnlHeader = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'].find((p) =>
  existsSync(p),
);
if (!dnnlHeader && !process.env.CPLUS_INCLUDE_PATH) warn('oneDNN headers not found (apt-get install libdnnl-dev)');

function findNodeGyp() {
  try {
    return createRequire(path.join(pkgDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm bundles node-gyp: <prefix>/lib/node_modules/npm/node_modules/node-gyp.
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    const bundled = path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : null;
  }
}

const gypBin = findNodeGyp();
if (!gypBin) warn('node-gyp is not installed');

// configure + build rather than `rebuild`: rebuild deletes build/ first, so for the whole compile the addon is
// missing for every other process using this checkout (tests and benchmarks running in parallel). make replaces
// build/Release/ft_native.node by linking a new file, so processes that loaded the old one are unaffected.
const jobs = process.env.FT_NATIVE_JOBS ?? 'max';
const gyp = (...argv) =>
  spawnSync(process.execPath, [gypBin, ...argv], {
    cwd: pkgDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
let res = gyp('configure', `--nodedir=${nodedir}`);
if (res.status === 0) res = gyp('build', `--nodedir=${nodedir}`, `--jobs=${jobs}`);
if (res.status !== 0) warn(`node-gyp exited with ${res.status ?? res.signal}`);
console.log('@ft/tfjs-backend-native: built build/Release/ft_native.node');
