// Pack-and-install smoke call for @ft/jadce, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [
  ['@ft/jadce', 'simulateMassiveAccess, commands'],
  ['@ft/core', 'createRng'],
];
export const body = `const d = simulateMassiveAccess({ N: 20, M: 2, L: 12, activity: 0.2, snrDb: 20, count: 2, rng: createRng(0) });
if (!commands.some((c) => c.group === 'jadce')) throw new Error('no jadce commands');
console.log('jadce ok', Object.keys(d).join(','));`;
