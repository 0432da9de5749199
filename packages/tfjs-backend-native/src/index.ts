/**
 * @ft/tfjs-backend-native: the `ft-native` tfjs backend for Node — tfjs-backend-cpu with its heavy kernels replaced
 * by a oneDNN N-API addon, an output-buffer pool and a fused BatchNorm.
 *
 * Usage (this is what @ft/core's `initBackend()` does):
 * ```ts
 * const native = await import('@ft/tfjs-backend-native'); // never throws, loads nothing native
 * const r = native.registerNativeBackend();               // loads the addon; {ok:false, reason} if it cannot
 * if (r.ok) await tf.setBackend('ft-native'); else console.warn(`ft-native unavailable: ${r.reason}`);
 * ```
 */

export type { AddonInfo } from './addon.js';
export { NativeBackend } from './backend.js';
export { BN_GRAD_KERNEL, BN_RELU_TRAIN_KERNEL, BN_TRAIN_KERNEL } from './batch-norm-train.js';
export { BufferPool, type BufferPoolOptions, type PoolStats } from './buffer-pool.js';
export { type KernelCounter, kernelStats, resetKernelStats } from './kernels/override.js';
export { ADD_RELU_KERNEL, patchLayersAddRelu, setAddReluFusion } from './layers-add-relu.js';
export { OPTIMIZER_KERNELS } from './native-optimizers.js';
export {
  type Bf16Support,
  Bf16UnsupportedError,
  getPrecision,
  InvalidPrecisionError,
  NATIVE_PRECISIONS,
  type NativePrecision,
  setPrecision,
} from './precision.js';
export {
  isNativeAvailable,
  type NativeInfo,
  nativeInfo,
  poolStats,
  type RegisterNativeOptions,
  type RegisterNativeResult,
  registerNativeBackend,
  setThreads,
  trimPool,
  version,
} from './register.js';
