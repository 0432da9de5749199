// Pack-and-install smoke call for @ft/tfjs-backend-native, run by scripts/smoke-pack.mjs under ESM and CJS.
export const imports = [['@ft/tfjs-backend-native', 'registerNativeBackend']];
export const body = `const r = registerNativeBackend();
console.log('native', JSON.stringify(r));`;
