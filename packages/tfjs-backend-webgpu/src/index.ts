/**
 * @ft/tfjs-backend-webgpu: the `ft-webgpu` tfjs backend for Node — tfjs-backend-webgpu on Dawn (npm `webgpu`) with
 * adapter selection, a typed one-line reason when there is no GPU, a clean exit, and faster convolution gradients.
 *
 * Usage:
 * ```ts
 * const gpu = await import('@ft/tfjs-backend-webgpu'); // never throws, loads nothing native
 * const r = await gpu.registerWebGpuBackend();          // loads Dawn, picks an adapter
 * if (r.ok) await tf.setBackend('ft-webgpu'); else console.warn(`ft-webgpu unavailable: ${r.reason}`);
 * // ... train ...
 * gpu.disposeWebGpu();                                  // releases the device so the process exits
 * ```
 */
export { type WebGpuUnavailableCode, WebGpuUnavailableError } from './errors.js';
export { type FilterGemmPlan, planFilterGemm } from './kernels/conv2d-backprop-filter.js';
export {
  disposeWebGpu,
  isHardwareAdapter,
  type RegisterWebGpuOptions,
  type RegisterWebGpuResult,
  registerWebGpuBackend,
  requireWebGpu,
  type WebGpuInfo,
  webgpuInfo,
} from './register.js';
export type { AdapterDescription, AdapterOptions } from './setup.js';
