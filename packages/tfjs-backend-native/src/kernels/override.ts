/**
 * The shape of a native kernel override and the wrapper that turns it into a tfjs `KernelFunc` with a fallback.
 *
 * An override receives the kernel's arguments and returns its output, or `null` when the case is unsupported
 * (another dtype, NCHW, a prelu activation, an empty tensor, ...): the wrapper then runs the original
 * tfjs-backend-cpu kernel, so every case the JS backend handles keeps working.
 */
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeBackend } from '../backend.js';

/** Arguments passed to a kernel. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: NativeBackend;
  attrs?: NamedAttrMap;
}

/** A native implementation; `null` means "not supported here, use the JS kernel". */
export type NativeKernel = (args: KernelArgs) => TensorInfo | TensorInfo[] | null;

/** Per-kernel counters. */
export interface KernelCounter {
  /** Calls served natively. */
  native: number;
  /** Calls handed to the JS cpu kernel (unsupported case). */
  fallback: number;
  /** Native calls that threw and were retried with the JS kernel. */
  errors: number;
  /** Message of the last native error. */
  lastError?: string;
}

const counters = new Map<string, KernelCounter>();

/** Behaviour when a native kernel throws: `'fallback'` (default) runs the JS kernel; `'throw'` rethrows. */
export const overrideConfig = { onError: 'fallback' as 'fallback' | 'throw' };

function counter(name: string): KernelCounter {
  let c = counters.get(name);
  if (!c) {
    c = { native: 0, fallback: 0, errors: 0 };
    counters.set(name, c);
  }
  return c;
}

/**
 * Per-kernel counts of native calls, JS fallbacks and native errors since start (or the last reset), for the
 * overridden kernels that ran at least once.
 */
export function kernelStats(): Record<string, KernelCounter> {
  const out: Record<string, KernelCounter> = {};
  for (const [k, v] of [...counters.entries()].sort(([a], [b]) => a.localeCompare(b))) out[k] = { ...v };
  return out;
}

/** Zeroes the counters of {@link kernelStats}. */
export function resetKernelStats(): void {
  counters.clear();
}

/**
 * Wraps a native override around the JS kernel.
 * @param name kernel name (for the counters).
 * @param native the override.
 * @param fallback the tfjs-backend-cpu kernel.
 */
export function withFallback(name: string, native: NativeKernel, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const c = counter(name);
    try {
      const res = native(args as unknown as KernelArgs);
      if (res !== null) {
        c.native++;
        return res;
      }
      c.fallback++;
    } catch (e) {
      if (overrideConfig.onError === 'throw') throw e;
      c.errors++;
      c.lastError = e instanceof Error ? e.message : String(e);
    }
    return fallback(args);
  };
}
