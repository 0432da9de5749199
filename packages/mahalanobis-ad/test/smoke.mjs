// Pack-and-install smoke call for @ft/mahalanobis-ad, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/mahalanobis-ad', 'GaussianAD'],
  ['@ft/core', 'createRng'],
];
export const body = `const rng = createRng(0);
const rows = (n, shift) => Array.from({ length: n }, () => [rng.normal() + shift, rng.normal(), rng.normal()]);
const ad = await new GaussianAD().fit({ gap: rows(200, 0) });
const s = ad.score({ gap: [...rows(5, 0), ...rows(5, 6)] }).total;
const normal = Math.max(...s.slice(0, 5));
const anomalous = Math.min(...s.slice(5));
if (!(anomalous > normal)) throw new Error('anomalies do not score higher');
console.log('mahalanobis-ad ok', normal.toFixed(2), anomalous.toFixed(2));`;
