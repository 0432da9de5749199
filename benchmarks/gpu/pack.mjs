#!/usr/bin/env node
/**
 * Packs what a bare GPU machine (no Node, no registry, no apt) needs to run benchmarks/gpu/run.mjs, into one
 * tarball, `tmp/ft-gpu.tar.xz` (git-ignored):
 *   bin/node                  this machine's Node binary
 *   app/node_modules/...      the packages the benchmark imports and their dependencies, flat and trimmed: tfjs's
 *                             `*.node.js` bundles, the linux-x64 `dawn.node` of npm `webgpu`, the @ft backends' dist
 *                             (and ft-native's addon)
 *   app/benchmarks/...        run.mjs, torch_cuda.py, backend/models.mjs, backend/children.mjs and backend/torch_bench.py
 *   lib/                      shared libraries the GPU machine may lack: the Vulkan loader and GLVND libraries that
 *                             NVIDIA's Vulkan ICD needs (Debian packages, fetched with `apt-get download`), and
 *                             ft-native's oneDNN/OpenMP/OpenCL libraries
 *   run-on-gpu.sh             sets LD_LIBRARY_PATH, VK_DRIVER_FILES (NVIDIA's ICD when found) and XDG_RUNTIME_DIR,
 *                             runs the benchmark and writes gpu.json into the folder it is given
 * Then, on the GPU machine, one command:
 *   tar xJf ft-gpu.tar.xz -C /tmp && /tmp/ft-gpu/run-on-gpu.sh /path/to/out [run.mjs flags]
 * and here: `node benchmarks/gpu/run.mjs --render=/path/to/out/gpu.json` writes docs/results/gpu.md.
 *
 * Usage: npx -y pnpm@10 run build && node benchmarks/gpu/pack.mjs [--out=tmp/ft-gpu.tar.xz] [--no-apt] [--xz=-6]
 * (about 36 MB; ~4 min of xz on 2 busy cores)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = parseFlags(process.argv.slice(2));

/** Debian packages with the Vulkan loader and the GLVND/X11 libraries `libGLX_nvidia.so.0` needs. */
export const VULKAN_DEBS = [
  'libvulkan1',
  'libegl1',
  'libglvnd0',
  'libopengl0',
  'libgl1',
  'libglx0',
  'libgles2',
  'libx11-6',
  'libxext6',
  'libxcb1',
  'libxau6',
  'libxdmcp6',
  'libbsd0',
  'libmd0',
];
/** What the benchmark imports by name. */
const ENTRY = [
  '@ft/tfjs-backend-webgpu',
  '@ft/tfjs-backend-native',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
];
/** Libraries every glibc system has (never packed). */
const SYSTEM_LIBS = /^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libstdc\+\+|libgcc_s)/;

const outFile = path.resolve(root, args.out ?? 'tmp/ft-gpu.tar.xz');
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-gpu-pack-'));
const top = path.join(stage, 'ft-gpu');
const nm = path.join(top, 'app', 'node_modules');
fs.mkdirSync(nm, { recursive: true });

function copy(src, dst) {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  // Nested node_modules are left out (dependencies are packed flat); the path above `src` may contain one.
  const inner = (s) => path.relative(src, s).split(path.sep).includes('node_modules');
  fs.cpSync(src, dst, { recursive: true, dereference: true, filter: (s) => !inner(s) });
}

/** Resolves a package folder from `fromDir` (its package.json, found on the node_modules path). */
function packageDir(name, fromDir) {
  const req = createRequire(path.join(fromDir, 'package.json'));
  for (const p of req.resolve.paths(name) ?? []) {
    const d = path.join(p, name);
    if (fs.existsSync(path.join(d, 'package.json'))) return fs.realpathSync(d);
  }
  throw new Error(`cannot resolve ${name} from ${fromDir}`);
}

/** Copies a package, trimmed to what runs in Node on linux-x64. */
function copyPackage(name, dir) {
  const dst = path.join(nm, name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const keep = (rel) => copy(path.join(dir, rel), path.join(dst, rel));
  keep('package.json');
  if (name.startsWith('@tensorflow/')) keep(pkg.main);
  else if (name === 'webgpu') {
    keep('index.js');
    keep('dist/linux-x64/dawn.node');
  } else if (name.startsWith('@ft/')) {
    keep('dist');
    if (fs.existsSync(path.join(dir, 'build', 'Release', 'ft_native.node'))) keep('build/Release/ft_native.node');
  } else copy(dir, dst);
  return pkg;
}

// 1. node_modules: the entry packages and their runtime dependencies, flat.
const seen = new Map();
// Entry packages resolve from the benchmarks (as run.mjs imports them) or, for tfjs-backend-cpu and
// tfjs-backend-webgpu (devDependencies of the backends), from the webgpu package.
const entryFrom = [path.join(root, 'benchmarks'), path.join(root, 'packages', 'tfjs-backend-webgpu')];
const queue = ENTRY.map((n) => [n, entryFrom]);
while (queue.length) {
  const [name, fromDirs] = queue.shift();
  if (name.startsWith('@types/') || name === '@webgpu/types') continue;
  let dir;
  for (const from of fromDirs) {
    try {
      dir = packageDir(name, from);
      break;
    } catch {}
  }
  if (!dir) throw new Error(`cannot resolve ${name} from ${fromDirs.join(' or ')}`);
  if (seen.has(name)) {
    if (seen.get(name) !== dir) {
      const v = (d) => JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).version;
      if (v(seen.get(name)) !== v(dir))
        process.stderr.write(`[pack] note: two versions of ${name}; keeping ${v(seen.get(name))}\n`);
    }
    continue;
  }
  seen.set(name, dir);
  const pkg = copyPackage(name, dir);
  for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push([dep, [dir]]);
}

// 2. The benchmark files.
for (const rel of [
  'benchmarks/gpu/run.mjs',
  'benchmarks/flags.mjs',
  'benchmarks/gpu/torch_cuda.py',
  'benchmarks/backend/models.mjs',
  'benchmarks/backend/children.mjs',
  'benchmarks/backend/torch_bench.py',
]) {
  copy(path.join(root, rel), path.join(top, 'app', rel));
}
fs.writeFileSync(path.join(top, 'app', 'package.json'), '{ "private": true, "type": "module" }\n');

// 3. Node.
copy(process.execPath, path.join(top, 'bin', 'node'));

// 4. Shared libraries: ft-native's (from this machine) and the Vulkan loader + GLVND (Debian packages).
const lib = path.join(top, 'lib');
fs.mkdirSync(lib, { recursive: true });
const addon = path.join(nm, '@ft', 'tfjs-backend-native', 'build', 'Release', 'ft_native.node');
if (fs.existsSync(addon)) {
  for (const line of execFileSync('ldd', [addon], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(\S+) => (\/\S+)/.exec(line);
    if (m && !SYSTEM_LIBS.test(m[1])) copy(m[2], path.join(lib, m[1]));
  }
}
if (!args['no-apt']) {
  const debs = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-gpu-debs-'));
  execFileSync('apt-get', ['download', ...VULKAN_DEBS], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
  const x = path.join(debs, 'x');
  for (const f of fs.readdirSync(debs).filter((f) => f.endsWith('.deb')))
    execFileSync('dpkg-deb', ['-x', path.join(debs, f), x]);
  const libDir = path.join(x, 'usr', 'lib', 'x86_64-linux-gnu');
  for (const f of fs.readdirSync(libDir).filter((f) => /\.so(\.|$)/.test(f)))
    copy(path.join(libDir, f), path.join(lib, f));
  fs.rmSync(debs, { recursive: true, force: true });
}

// 5. The one command.
fs.writeFileSync(
  path.join(top, 'run-on-gpu.sh'),
  `#!/usr/bin/env bash
# Runs benchmarks/gpu/run.mjs on this machine with the packed Node, modules and libraries; writes <out>/gpu.json.
# Usage: run-on-gpu.sh <out dir> [run.mjs flags, e.g. --models=resnet20 --batches=512]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "\${1:-$here/out}" && cd "\${1:-$here/out}" && pwd)"; shift || true
export LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/tmp}"
if [ -z "\${VK_DRIVER_FILES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
  done
fi
echo "[run-on-gpu] VK_DRIVER_FILES=\${VK_DRIVER_FILES:-unset}; nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo none)"
# --profile reads GPU kernel times through timestamp queries, which Dawn exposes with allow_unsafe_apis.
for a in "$@"; do
  if [ "$a" = "--profile" ] && [ -z "\${FT_WEBGPU_DAWN_FLAGS:-}" ]; then export FT_WEBGPU_DAWN_FLAGS=enable-dawn-features=allow_unsafe_apis; fi
done
cd "$here/app"
"$here/bin/node" benchmarks/gpu/run.mjs --no-render --json="$out/gpu.json" "$@"
echo "[run-on-gpu] wrote $out/gpu.json; render it in the repository: node benchmarks/gpu/run.mjs --render=gpu.json"
`,
  { mode: 0o755 },
);

fs.mkdirSync(path.dirname(outFile), { recursive: true });
execFileSync('tar', ['-cJf', outFile, '-C', stage, 'ft-gpu'], { env: { ...process.env, XZ_OPT: args.xz ?? '-6 -T2' } });
fs.rmSync(stage, { recursive: true, force: true });
const mb = (fs.statSync(outFile).size / 2 ** 20).toFixed(1);
console.log(`[pack] ${path.relative(root, outFile)}: ${mb} MB (${seen.size} packages)`);
console.log(`[pack] on the GPU machine: tar xJf ft-gpu.tar.xz -C /tmp && /tmp/ft-gpu/run-on-gpu.sh /tmp/gpu-out`);
