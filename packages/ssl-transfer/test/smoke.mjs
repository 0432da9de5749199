// Pack-and-install smoke call for @ft/ssl-transfer, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/ssl-transfer', 'sslTransferVersion, commands']];
export const body = `if (!commands.some((c) => c.group === 'ssl-transfer')) throw new Error('no ssl-transfer commands');
console.log('ssl-transfer ok', sslTransferVersion());`;
