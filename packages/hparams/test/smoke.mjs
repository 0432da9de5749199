// Pack-and-install smoke call for @ft/hparams, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/hparams', 'hparamsVersion, commands']];
export const body = `if (!commands.some((c) => c.group === 'hparams')) throw new Error('no hparams commands');
console.log('hparams ok', hparamsVersion());`;
