/**
 * Registration of the `ft-webgpu` backend and its status functions.
 *
 * Contract with a host such as @ft/core's `initBackend()`: `await import('@ft/tfjs-backend-webgpu')` never throws and
 * loads nothing native; `await registerWebGpuBackend()` loads Dawn, selects an adapter and either registers the
 * backend (`{ok: true, name, info}`) or returns `{ok: false, reason, code, error}` with a one-line reason, after which
 * the caller falls back to the next backend. `disposeWebGpu()` releases the device so the process can exit.
 */

import { createRequire } from 'node:module';
import {
  FUSED_BATCH_NORM_KERNELS,
  FUSED_OPTIMIZER_KERNELS,
  installFusedBatchNorm,
  installFusedOptimizers,
  isLayersBatchNormPatched,
} from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import { type WebGpuUnavailableCode, WebGpuUnavailableError } from './errors.js';
import { BATCH_NORM_KERNELS } from './kernels/batch-norm.js';
import { makeConv2D } from './kernels/conv2d.js';
import { makeConv2DBackpropFilter } from './kernels/conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './kernels/conv2d-backprop-input.js';
import { makeCumReverse } from './kernels/cum-reverse.js';
import { OPTIMIZER_UPDATE_KERNELS } from './kernels/optimizer-updates.js';
import {
  type AcquiredGpu,
  type AdapterDescription,
  type AdapterOptions,
  acquireGpu,
  type DawnDevice,
  dawnPackageVersion,
} from './setup.js';

/** Options of {@link registerWebGpuBackend}. */
export interface RegisterWebGpuOptions extends AdapterOptions {
  /** Backend name (default `'ft-webgpu'`). */
  name?: string;
  /**
   * Backend priority for tfjs' default selection (default 3 on a hardware adapter, like tfjs-webgpu, and 0 on a
   * software one, so a software adapter is never picked without `tf.setBackend`).
   */
  priority?: number;
  /** Replace the slow stock kernels with this package's (default true; false gives stock tfjs-webgpu under `name`). */
  overrides?: boolean;
  /**
   * Kernels to leave stock although this package replaces them, e.g. `['Conv2DBackpropInput']` (default: none, or
   * `FT_WEBGPU_STOCK_KERNELS`, comma-separated); for measuring one replacement at a time.
   */
  stockKernels?: string[];
}

/** Outcome of {@link registerWebGpuBackend}. */
export type RegisterWebGpuResult =
  | { ok: true; name: string; info: WebGpuInfo }
  | { ok: false; reason: string; code: WebGpuUnavailableCode; error: WebGpuUnavailableError };

/** What {@link webgpuInfo} reports. */
export interface WebGpuInfo {
  /** This package's version. */
  version: string;
  /** The npm `webgpu` package's version (the Dawn build it ships). */
  dawn: string;
  /** `@tensorflow/tfjs-backend-webgpu` version, or `'unavailable'`. */
  tfjsWebgpu: string;
  /** Whether a device is held. */
  available: boolean;
  /** Why not (one line), after a failed registration. */
  reason?: string;
  /** The selected adapter: vendor, architecture, device, driver description, Dawn backend, software or not. */
  adapter: AdapterDescription | null;
  /** Whether the adapter is a hardware GPU (false on llvmpipe and other software rasterisers). */
  hardware: boolean;
  /** Names under which the backend is registered. */
  backends: string[];
  /** Kernels this package replaces, with calls served by its shader vs handed to the stock kernel. */
  kernels: Record<string, { fast: number; fallback: number }>;
  /** GPU buffers of the live `ft-webgpu` backend (in use by tensors / pooled for reuse), null before it exists. */
  buffers: { used: number; free: number; bytesUsed: number } | null;
}

interface BufferManagerLike {
  getNumUsedBuffers(): number;
  getNumFreeBuffers(): number;
  numBytesUsed: number;
}

function bufferStats(name: string): WebGpuInfo['buffers'] {
  if (!registered.has(name)) return null;
  let backend: unknown;
  try {
    backend = tf.engine().registry[name];
  } catch {
    return null;
  }
  const bm = (backend as { bufferManager?: BufferManagerLike } | undefined)?.bufferManager;
  if (!bm) return null;
  return { used: bm.getNumUsedBuffers(), free: bm.getNumFreeBuffers(), bytesUsed: bm.numBytesUsed };
}

/** This package's version. */
const version: string = (() => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

type WebGpuBackendCtor = new (device: DawnDevice, adapterInfo: unknown) => tf.KernelBackend;

const counters: Record<string, { fast: number; fallback: number }> = {
  Conv2D: { fast: 0, fallback: 0 },
  FusedConv2D: { fast: 0, fallback: 0 },
  Conv2DBackpropFilter: { fast: 0, fallback: 0 },
  Conv2DBackpropInput: { fast: 0, fallback: 0 },
  Cumsum: { fast: 0, fallback: 0 },
  Cumprod: { fast: 0, fallback: 0 },
  [FUSED_OPTIMIZER_KERNELS.sgd]: { fast: 0, fallback: 0 },
  [FUSED_OPTIMIZER_KERNELS.momentum]: { fast: 0, fallback: 0 },
  [FUSED_OPTIMIZER_KERNELS.adam]: { fast: 0, fallback: 0 },
  [FUSED_BATCH_NORM_KERNELS.train]: { fast: 0, fallback: 0 },
  [FUSED_BATCH_NORM_KERNELS.grad]: { fast: 0, fallback: 0 },
};

/** This package's kernels, by the tfjs kernel they replace. */
const OVERRIDES: Record<string, (stock: tf.KernelFunc, c: { fast: number; fallback: number }) => tf.KernelFunc> = {
  Conv2D: makeConv2D(false),
  FusedConv2D: makeConv2D(true),
  Conv2DBackpropFilter: makeConv2DBackpropFilter,
  Conv2DBackpropInput: makeConv2DBackpropInput,
  // Not for speed: tfjs-webgpu's reverse cumulative shaders are cached without their length (kernels/cum-reverse.ts).
  Cumsum: makeCumReverse,
  Cumprod: makeCumReverse,
};

/**
 * Kernels this package adds (tfjs-webgpu has none of these names), called by `@ft/tfjs-fused-training`: the fused
 * optimizer updates (its overrides of tfjs' SGD, momentum and Adam, one call per variable and step) and the fused
 * BatchNorm training forward and backward (its patch of tfjs-layers' `BatchNormalization`). Left out (via
 * `stockKernels`), tfjs' own op chains run.
 */
const ADDED: Record<string, tf.KernelFunc> = {
  [FUSED_OPTIMIZER_KERNELS.sgd]: OPTIMIZER_UPDATE_KERNELS.sgd,
  [FUSED_OPTIMIZER_KERNELS.momentum]: OPTIMIZER_UPDATE_KERNELS.momentum,
  [FUSED_OPTIMIZER_KERNELS.adam]: OPTIMIZER_UPDATE_KERNELS.adam,
  [FUSED_BATCH_NORM_KERNELS.train]: BATCH_NORM_KERNELS.train,
  [FUSED_BATCH_NORM_KERNELS.grad]: BATCH_NORM_KERNELS.grad,
};

/** Kernel names to leave stock, from `FT_WEBGPU_STOCK_KERNELS` (comma-separated) and the `stockKernels` option. */
function stockKernels(opts: RegisterWebGpuOptions): Set<string> {
  const env = (process.env.FT_WEBGPU_STOCK_KERNELS ?? '').split(',').map((s) => s.trim());
  const names = new Set([...env, ...(opts.stockKernels ?? [])].filter(Boolean));
  for (const n of names) {
    if (!(n in OVERRIDES) && !(n in ADDED)) {
      const known = [...Object.keys(OVERRIDES), ...Object.keys(ADDED)].join(', ');
      throw new WebGpuUnavailableError(
        'INVALID_ARGUMENT',
        `unknown kernel '${n}' in FT_WEBGPU_STOCK_KERNELS/stockKernels (known: ${known})`,
      );
    }
  }
  return names;
}
const registered = new Set<string>();
const kernelsRegistered = new Set<string>();
let acquired: AcquiredGpu | null = null;
let lastReason: string | undefined;
let navigatorInstalled = false;

function tfjsWebgpuVersion(): string {
  try {
    return (createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string })
      .version;
  } catch {
    return 'unavailable';
  }
}

/**
 * Imports tfjs-backend-webgpu (its kernels register for `webgpu`) before `navigator.gpu` exists, so it does not
 * also register its own `webgpu` backend with an adapter request of its own.
 */
async function loadTfjsWebgpu(): Promise<WebGpuBackendCtor> {
  try {
    const m = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
      WebGPUBackend?: WebGpuBackendCtor;
      default?: { WebGPUBackend?: WebGpuBackendCtor };
    };
    const ctor = m.WebGPUBackend ?? m.default?.WebGPUBackend;
    if (!ctor) throw new Error('WebGPUBackend is not exported');
    return ctor;
  } catch (e) {
    throw new WebGpuUnavailableError(
      'DAWN_LOAD_FAILED',
      `@tensorflow/tfjs-backend-webgpu failed to load: ${String((e as Error).message).split('\n')[0]}`,
    );
  }
}

/**
 * tfjs-backend-webgpu reads synchronously through an OffscreenCanvas, which Node lacks ("OffscreenCanvas is not
 * defined"); Dawn in Node has no blocking readback either. Say so, and what to do, instead.
 */
function withClearReadSync(backend: tf.KernelBackend, name: string): tf.KernelBackend {
  const b = backend as tf.KernelBackend & { readSync(dataId: object): unknown };
  const original = b.readSync.bind(b);
  b.readSync = (dataId: object) => {
    try {
      return original(dataId);
    } catch (e) {
      if (!/OffscreenCanvas/.test(String((e as Error)?.message))) throw e;
      throw new Error(
        `${name}: dataSync()/arraySync() cannot read GPU memory synchronously in Node; use await tensor.data() / array()`,
      );
    }
  };
  return backend;
}

/** tfjs-backend-webgpu's constructor checks `navigator.gpu`; Node 20 has no `navigator`. */
function installNavigator(gpu: unknown): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  if (g.navigator && !g.navigator.gpu) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    navigatorInstalled = true;
  }
}

function uninstallNavigator(): void {
  if (!navigatorInstalled) return;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) delete g.navigator.gpu;
  navigatorInstalled = false;
}

function registerKernels(name: string, overrides: boolean, stock: Set<string>): void {
  if (kernelsRegistered.has(name)) return;
  for (const config of tf.getKernelsForBackend('webgpu')) {
    let kernelFunc = config.kernelFunc;
    const make = OVERRIDES[config.kernelName];
    if (overrides && make && !stock.has(config.kernelName)) {
      kernelFunc = make(config.kernelFunc, counters[config.kernelName]);
    }
    if (overrides && config.kernelName === 'FusedBatchNorm') {
      // tfjs-layers may be imported after registration: retry the BatchNormalization patch on the first
      // FusedBatchNorm call (the kernel its training path uses when unpatched).
      const stockBatchNorm = kernelFunc;
      kernelFunc = (args) => {
        if (!isLayersBatchNormPatched()) installFusedBatchNorm();
        return stockBatchNorm(args);
      };
    }
    tf.registerKernel({ ...config, backendName: name, kernelFunc });
  }
  if (overrides) {
    for (const [kernelName, impl] of Object.entries(ADDED)) {
      if (stock.has(kernelName)) continue;
      const c = counters[kernelName];
      const kernelFunc: tf.KernelFunc = (args) => {
        c.fast++;
        return impl(args);
      };
      tf.registerKernel({ kernelName, backendName: name, kernelFunc });
    }
    installFusedOptimizers();
    installFusedBatchNorm();
  }
  kernelsRegistered.add(name);
}

/**
 * Registers the `ft-webgpu` backend: every tfjs-backend-webgpu kernel re-registered under the new name on a Dawn
 * device, with `Conv2D`, `FusedConv2D` (bias, ReLU), `Conv2DBackpropFilter` and `Conv2DBackpropInput` replaced by
 * tiled implicit-GEMM shaders, fused
 * SGD / momentum / Adam updates (one dispatch per output instead of tfjs' chains) and a fused training BatchNorm
 * (3 dispatches forward, 3 backward, through tfjs-layers' standard layer; see `kernels/`).
 *
 * Never throws. Adapter selection: hardware first with `powerPreference` (default `'high-performance'`);
 * `FT_WEBGPU_ADAPTER` / `adapter` picks one by name; a software adapter only with `FT_WEBGPU_SOFTWARE=1` / `software`.
 * A second call with another `name` shares the device (e.g. `{name: 'webgpu-stock', overrides: false}`).
 *
 * @returns `{ok: true, name, info}`, or `{ok: false, reason, code, error}` (a {@link WebGpuUnavailableError}).
 */
export async function registerWebGpuBackend(opts: RegisterWebGpuOptions = {}): Promise<RegisterWebGpuResult> {
  const name = opts.name ?? 'ft-webgpu';
  try {
    const stock = stockKernels(opts);
    const Backend = await loadTfjsWebgpu();
    if (!acquired) {
      acquired = await acquireGpu(opts);
      lastReason = undefined;
    }
    if (!registered.has(name)) {
      const a = acquired;
      installNavigator(a.gpu);
      registerKernels(name, opts.overrides ?? true, stock);
      const priority = opts.priority ?? (a.info.software ? 0 : 3);
      tf.registerBackend(name, () => withClearReadSync(new Backend(a.device, a.adapter.info), name), priority);
      registered.add(name);
    }
    return { ok: true, name, info: webgpuInfo(name) };
  } catch (e) {
    const error =
      e instanceof WebGpuUnavailableError
        ? e
        : new WebGpuUnavailableError('DEVICE_FAILED', String((e as Error)?.message ?? e).split('\n')[0] ?? '');
    lastReason = error.message;
    return { ok: false, reason: error.message, code: error.code, error };
  }
}

/**
 * Like {@link registerWebGpuBackend} but throws the {@link WebGpuUnavailableError} instead of returning it (for
 * `--backend ft-webgpu`, where a missing GPU must be an error rather than a fallback).
 */
export async function requireWebGpu(opts: RegisterWebGpuOptions = {}): Promise<WebGpuInfo> {
  const r = await registerWebGpuBackend(opts);
  if (!r.ok) throw r.error;
  return r.info;
}

/**
 * Adapter, driver, versions, kernel counters and the buffer counts of backend `name` (default `'ft-webgpu'`); never
 * throws and starts nothing.
 */
export function webgpuInfo(name = 'ft-webgpu'): WebGpuInfo {
  const adapter = acquired?.info ?? null;
  return {
    version,
    dawn: dawnPackageVersion(),
    tfjsWebgpu: tfjsWebgpuVersion(),
    available: acquired !== null,
    ...(lastReason ? { reason: lastReason } : {}),
    adapter,
    hardware: adapter !== null && !adapter.software,
    backends: [...registered],
    kernels: Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, { ...v }])),
    buffers: bufferStats(name),
  };
}

/** Whether a hardware (not software) adapter is held; call after {@link registerWebGpuBackend}. */
export function isHardwareAdapter(): boolean {
  return acquired !== null && !acquired.info.software;
}

/**
 * Removes the backends this package registered (disposing their tensors), destroys the Dawn device and drops
 * `navigator.gpu`, so that Node can exit. If one of them was the active backend, the next tfjs op initialises the
 * best remaining one (or call `tf.setBackend`).
 * Registration may be called again afterwards (a new device is created).
 */
export function disposeWebGpu(): void {
  for (const name of registered) {
    try {
      tf.removeBackend(name);
    } catch {
      // never initialised or already removed
    }
  }
  registered.clear();
  if (acquired) {
    try {
      acquired.device.destroy();
    } catch {
      // already lost
    }
    acquired = null;
  }
  uninstallNavigator();
}
