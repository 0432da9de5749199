// Pack-and-install smoke call for @ft/adafilter, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/adafilter', 'adafilterVersion, commands']];
export const body = `if (!commands.some((c) => c.group === 'adafilter')) throw new Error('no adafilter commands');
console.log('adafilter ok', adafilterVersion());`;
