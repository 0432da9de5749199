// Pack-and-install smoke call for @ft/core, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/core', 'createRng, cholesky, initBackend'],
  ['@ft/core/data', 'parseNpy'],
];
export const body = `const info = await initBackend({ prefer: ['cpu'], ignoreEnv: true });
if (info.name !== 'cpu') throw new Error('backend ' + info.name);
const u = createRng(1).uniform();
if (!(u >= 0 && u < 1)) throw new Error('rng');
const L = cholesky([[4, 2], [2, 3]]);
if (typeof parseNpy !== 'function') throw new Error('@ft/core/data subpath');
// Dual package: an error of the CJS copy is an instance of the ESM copy's classes, and the other way round.
const { createRequire } = await import('node:module');
const cjs = createRequire(\`\${process.cwd()}/smoke.js\`)('@ft/core');
const esm = await import('@ft/core');
if (cjs.FtError === esm.FtError) throw new Error('expected two copies of @ft/core');
if (!(new cjs.ShapeError('x') instanceof esm.ShapeError) || !(new esm.ShapeError('y') instanceof cjs.FtError))
  throw new Error('instanceof FtError across the ESM and CJS copies');
if (new cjs.ShapeError('x') instanceof esm.UnsafePathError) throw new Error('instanceof matched the wrong class');
console.log('core ok', u.toFixed(6), JSON.stringify(L.data ? Array.from(L.data) : L));`;
