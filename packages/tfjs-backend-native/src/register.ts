/**
 * Registration of the `ft-native` backend and its public status functions.
 *
 * Contract with @ft/core's `initBackend()` (and any other host): `await import('@ft/tfjs-backend-native')` never
 * throws and loads nothing native; `registerNativeBackend()` then loads the addon and either registers the backend
 * (`{ok: true}`) or returns `{ok: false, reason}` with a one-line reason, after which the caller falls back to `cpu`
 * and shows the reason (e.g. in `ft info`). Registration is idempotent.
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import { isLayersBatchNormPatched, patchLayersBatchNorm } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import { type ConvCacheInfo, loadAddon, type NativeAddon, ompWaitPolicy } from './addon.js';
import { NativeBackend } from './backend.js';
import { registerBatchNormKernels } from './batch-norm-train.js';
import type { BufferPoolOptions, PoolStats } from './buffer-pool.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import { type KernelCounter, kernelStats, overrideConfig, withFallback } from './kernels/override.js';
import { patchLayersAddRelu, registerAddRelu } from './layers-add-relu.js';

/** Installs the tfjs-layers patches (fused BatchNorm, Add + ReLU); false if tfjs-layers is not loaded. */
function patchLayers(): boolean {
  return patchLayersBatchNorm() && patchLayersAddRelu();
}

import { registerMeanGrad } from './mean-grad.js';
import { isOptimizerFusionEnabled, registerFusedOptimizers, setOptimizerFusion } from './native-optimizers.js';
import {
  type Bf16Support,
  Bf16UnsupportedError,
  detectBf16,
  getPrecision,
  type NativePrecision,
  parsePrecision,
  setPrecision,
} from './precision.js';
import { registerReluGrad } from './relu-grad.js';

/** Options of {@link registerNativeBackend}. */
export interface RegisterNativeOptions {
  /** Backend name (default `'ft-native'`). */
  name?: string;
  /** Backend priority; tfjs-backend-cpu registers at 1 (default 2, so `ft-native` wins over `cpu`). */
  priority?: number;
  /** OpenMP threads for oneDNN and the native loops (default: `FT_NATIVE_THREADS`, else all cores). */
  threads?: number;
  /** Buffer pool options (default: 1024 free buffers per size). */
  pool?: BufferPoolOptions;
  /**
   * Route the training forward of tfjs-layers' standard BatchNormalization through the fused native op while this
   * backend is active, and compute `Add` layers read only by a ReLU in one pass (`layers-add-relu.ts`) (default true;
   * see `layers-batch-norm.ts` for the design).
   */
  patchLayersBatchNorm?: boolean;
  /**
   * Apply tfjs-core's SGD, momentum and Adam updates as one native kernel per variable while this backend is active
   * (default true unless FT_NATIVE_FUSE_OPTIMIZERS=0 or FT_FUSE_OPTIMIZERS=0; bit-identical results, see
   * `native-optimizers.ts`).
   */
  fuseOptimizers?: boolean;
  /** When a native kernel throws: run the JS kernel instead (`'fallback'`, default) or rethrow (`'throw'`). */
  onNativeError?: 'fallback' | 'throw';
  /**
   * Precision of the convolutions and matmuls (default: `FT_NATIVE_PRECISION`, else unchanged, i.e. `'fp32'` in a
   * fresh process). `'bf16'` reads their operands as bfloat16 with float32 accumulation and outputs, and needs a CPU
   * with AVX512_BF16 or AMX-BF16 (see `precision.ts`); it can be changed later with `setPrecision`.
   */
  precision?: NativePrecision;
}

/**
 * Outcome of {@link registerNativeBackend}. A failure caused by a bad or unavailable `precision` carries the code
 * of the error (`'INVALID_ARGUMENT'` or `'BACKEND_UNAVAILABLE'`), so hosts can refuse to fall back silently.
 */
export type RegisterNativeResult =
  | { ok: true; name: string }
  | { ok: false; reason: string; code?: 'INVALID_ARGUMENT' | 'BACKEND_UNAVAILABLE' };

/** What {@link nativeInfo} reports. */
export interface NativeInfo {
  /** Package version. */
  version: string;
  /** Whether the addon loaded. */
  available: boolean;
  /** Why it did not (one line), when unavailable. */
  reason?: string;
  /** Path of the loaded addon. */
  addonPath?: string;
  /** oneDNN runtime version, e.g. `2.6.3`. */
  onednn?: string;
  /** oneDNN headers the addon was built against. */
  onednnHeaders?: string;
  /** ISA oneDNN dispatches to (runtime detection; the addon is built without -march=native). */
  isa?: string;
  /** OpenMP threads (shared by oneDNN and the native loops). */
  threads?: number;
  /** OpenMP wait setting: `GOMP_SPINCOUNT=3000` by default; OMP_WAIT_POLICY or GOMP_SPINCOUNT set before loading win. */
  ompWaitPolicy?: string;
  /** Names under which the backend is registered. */
  backends: string[];
  /** Buffer pool of the live backend instance, if one was created. */
  pool: PoolStats | null;
  /** Deferred outputs (convolution input gradients) computed on read vs skipped because never read. */
  lazy: { computed: number; skipped: number } | null;
  /** Convolution primitive cache, and the bf16 backward-weights stall guard's counts (`stalls`, `stallFallbacks`). */
  convCache?: ConvCacheInfo;
  /** oneDNN implementation chosen per cached convolution. */
  convImpls?: string[];
  /** Whether tfjs-layers' BatchNormalization uses the fused path on this backend. */
  layersBatchNormPatched: boolean;
  /** Whether SGD / momentum / Adam updates run as one native kernel per variable on this backend. */
  optimizerFusion: boolean;
  /** Per-kernel native / fallback / error counts. */
  kernels: Record<string, KernelCounter>;
  /** Precision of the convolutions and matmuls (`'fp32'` unless bf16 was asked for). */
  precision: NativePrecision;
  /**
   * bf16 operands of the convolutions and matmuls (live backend; null before it exists): converted on demand,
   * reused from the cache, and fused (written by the producing BatchNorm / Add + ReLU kernel in its own pass);
   * `outputs`: convolution outputs written in bf16 only (for the BatchNorm after them), and `widened`: how many of
   * those another kernel had to convert to float32.
   */
  bf16Conversions: { converted: number; reused: number; fused: number; outputs: number; widened: number } | null;
  /** Whether precision `'bf16'` can run here (AVX512_BF16 / AMX-BF16 and oneDNN's ISA), and if not why. */
  bf16Support?: Bf16Support;
}

const registered = new Map<string, { pool?: BufferPoolOptions }>();
let wantLayersPatch = true;

/** This package's version. */
export const version: string = (() => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

function addonOrNull(): NativeAddon | null {
  const r = loadAddon();
  return r.ok ? r.addon : null;
}

/**
 * Registers the `ft-native` backend: every tfjs-backend-cpu kernel re-registered under the new name, with the
 * heavy ones (convolutions, matmuls, broadcasting binary ops, common unary ops, Sum/Mean/Max/ArgMax, Tile,
 * Transpose, pooling and grads, Softmax, FusedBatchNorm, Fill) replaced by oneDNN/OpenMP kernels that fall back to
 * the JS kernel for unsupported cases (non-float32, NCHW, prelu, ...), plus the fused BatchNorm training kernels.
 *
 * Call it after `await import('@ft/tfjs-backend-native')`; it never throws. On success the backend has priority
 * above `cpu`, so it is picked by tfjs' default selection; `await tf.setBackend('ft-native')` selects it
 * explicitly.
 *
 * @param opts see {@link RegisterNativeOptions} (name `'ft-native'`, priority 2, threads all cores, pool cap 1024,
 *   patchLayersBatchNorm true, onNativeError `'fallback'`, precision from `FT_NATIVE_PRECISION` else unchanged).
 * @returns `{ok: true, name}`, or `{ok: false, reason}` when the addon is missing or fails to load, and
 *   `{ok: false, reason, code}` for an unknown precision (`'INVALID_ARGUMENT'`) or bf16 on a CPU without it
 *   (`'BACKEND_UNAVAILABLE'`); the backend is then not registered (or keeps its previous precision).
 */
export function registerNativeBackend(opts: RegisterNativeOptions = {}): RegisterNativeResult {
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: load.reason };
  const name = opts.name ?? 'ft-native';
  if (opts.onNativeError) overrideConfig.onError = opts.onNativeError;
  const threads = opts.threads ?? (process.env.FT_NATIVE_THREADS ? Number(process.env.FT_NATIVE_THREADS) : undefined);
  try {
    if (threads !== undefined) load.addon.setThreads(threads);
  } catch (e) {
    return { ok: false, reason: `invalid thread count ${threads}: ${(e as Error).message}` };
  }
  const envPrecision = process.env.FT_NATIVE_PRECISION;
  const wanted = opts.precision ?? (envPrecision ? envPrecision : undefined);
  if (wanted !== undefined) {
    const source = opts.precision !== undefined ? 'precision' : 'FT_NATIVE_PRECISION';
    try {
      setPrecision(parsePrecision(wanted, source));
    } catch (e) {
      const code = e instanceof Bf16UnsupportedError ? 'BACKEND_UNAVAILABLE' : 'INVALID_ARGUMENT';
      return { ok: false, reason: (e as Error).message, code };
    }
  }
  if (opts.patchLayersBatchNorm === false) wantLayersPatch = false;
  if (opts.fuseOptimizers !== undefined) setOptimizerFusion(opts.fuseOptimizers, name);
  if (registered.has(name)) return { ok: true, name };
  try {
    const addon = load.addon;
    const poolOpts = opts.pool;
    tf.registerBackend(
      name,
      () => {
        if (wantLayersPatch) patchLayers();
        return new NativeBackend(addon, poolOpts);
      },
      opts.priority ?? 2,
    );
    for (const config of tf.getKernelsForBackend('cpu')) {
      const native = NATIVE_KERNELS[config.kernelName];
      let kernelFunc = config.kernelFunc;
      if (native) {
        // tfjs-layers may be imported after registration: retry the BatchNormalization patch on the first
        // FusedBatchNorm call (the kernel its training path uses when unpatched).
        const impl =
          config.kernelName === 'FusedBatchNorm'
            ? (args: Parameters<typeof native>[0]) => {
                if (wantLayersPatch && !isLayersBatchNormPatched()) patchLayers();
                return native(args);
              }
            : native;
        kernelFunc = withFallback(config.kernelName, impl, config.kernelFunc);
      }
      tf.registerKernel({ ...config, backendName: name, kernelFunc });
    }
    registerBatchNormKernels(name);
    registerReluGrad(name);
    registerMeanGrad(name);
    registerAddRelu(name);
    registerFusedOptimizers(name, addon);
    if (wantLayersPatch) patchLayers();
    registered.set(name, { pool: opts.pool });
    return { ok: true, name };
  } catch (e) {
    return { ok: false, reason: `registration failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** True when the native addon is built and loads (it is loaded on first call). */
export function isNativeAvailable(): boolean {
  return loadAddon().ok;
}

function liveBackend(): NativeBackend | null {
  for (const name of registered.keys()) {
    const b = tf.engine().registry[name];
    if (b instanceof NativeBackend) return b;
  }
  return null;
}

/** Buffer-pool statistics of the live `ft-native` instance (null before it is created). */
export function poolStats(): PoolStats | null {
  return liveBackend()?.pool.getStats() ?? null;
}

/**
 * Releases every free buffer of the pool to the garbage collector (buffers in use are untouched).
 * @returns bytes released.
 */
export function trimPool(): number {
  return liveBackend()?.pool.trim() ?? 0;
}

/**
 * Sets the OpenMP thread count used by oneDNN and the native loops.
 * @param n threads (≥ 1).
 */
export function setThreads(n: number): void {
  const addon = addonOrNull();
  if (!addon) throw new Error(`@ft/tfjs-backend-native: ${(loadAddon() as { reason: string }).reason}`);
  addon.setThreads(n);
}

/**
 * Versions, ISA, threads, pool and cache statistics, and per-kernel counts; when the addon is unavailable,
 * `available: false` and the reason. Never throws.
 */
export function nativeInfo(): NativeInfo {
  const load = loadAddon();
  const base = {
    version,
    backends: [...registered.keys()],
    pool: poolStats(),
    lazy: liveBackend()?.lazyStats() ?? null,
    layersBatchNormPatched: isLayersBatchNormPatched(),
    optimizerFusion: isOptimizerFusionEnabled(registered.keys().next().value ?? 'ft-native'),
    kernels: kernelStats(),
    precision: getPrecision(),
    bf16Conversions: liveBackend()?.bf16Stats() ?? null,
  };
  if (!load.ok) return { ...base, available: false, reason: load.reason };
  const i = load.addon.info();
  return {
    ...base,
    available: true,
    addonPath: load.path,
    onednn: i.onednn,
    onednnHeaders: i.onednnHeaders,
    isa: i.isa,
    threads: i.threads,
    ompWaitPolicy: ompWaitPolicy(),
    convCache: i.convCache,
    convImpls: i.convImpls,
    bf16Support: detectBf16(),
  };
}
