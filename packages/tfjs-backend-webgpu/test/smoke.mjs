// Pack-and-install smoke call for @ft/tfjs-backend-webgpu, run by scripts/smoke-pack.mjs under ESM and CJS. On a
// machine without a GPU it must print the one-line reason, not throw (the software path is only tried when asked).
export const imports = [
  ['@ft/tfjs-backend-webgpu', 'registerWebGpuBackend, disposeWebGpu, webgpuInfo'],
  ['@tensorflow/tfjs-backend-cpu'],
];
export const body = `const r = await registerWebGpuBackend();
console.log('webgpu', r.ok ? r.info.adapter.device : r.code, 'dawn', webgpuInfo().dawn);
disposeWebGpu();`;
