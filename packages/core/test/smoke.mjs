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
console.log('core ok', u.toFixed(6), JSON.stringify(L.data ? Array.from(L.data) : L));`;
