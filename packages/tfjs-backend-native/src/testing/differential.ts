/**
 * Differential-testing helpers: run a kernel's native override and the original tfjs-backend-cpu kernel on the same
 * inputs, in the same `ft-native` backend instance (the JS kernels work on it unchanged), and compare.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { NativeBackend } from '../backend.js';
import { kernelStats } from '../kernels/override.js';
import { isNativeAvailable, registerNativeBackend } from '../register.js';

/** Message printed when the addon is missing and native tests are skipped. */
export const SKIP_MESSAGE =
  '@ft/tfjs-backend-native: native addon not built — skipping native tests (install libdnnl-dev and run `pnpm --filter @ft/tfjs-backend-native build:native`)';

/**
 * True when native tests can run; prints one clear line otherwise. Under CI (`CI=true`, where `.ci/run` installs
 * libdnnl-dev) a missing addon is an error instead, so a broken native build cannot pass as skipped tests.
 */
export function nativeTestsEnabled(): boolean {
  const ok = isNativeAvailable();
  if (!ok && process.env.CI === 'true') throw new Error(`CI=true but ${SKIP_MESSAGE}`);
  if (!ok) console.warn(SKIP_MESSAGE);
  return ok;
}

/** Registers ft-native in strict mode (native errors throw) and makes it the active backend. */
export async function useNative(): Promise<void> {
  const r = registerNativeBackend({ onNativeError: 'throw' });
  if (!r.ok) throw new Error(r.reason);
  await tf.setBackend('ft-native');
}

/** Tolerance: |native − ref| ≤ atol + rtol · max|ref|. */
export interface Tol {
  atol: number;
  rtol: number;
}

/** Outputs of both implementations. */
export interface KernelDiff {
  native: { shape: number[]; dtype: string; values: Float32Array | Int32Array }[];
  ref: { shape: number[]; dtype: string; values: Float32Array | Int32Array }[];
}

function toList(r: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo[] {
  return Array.isArray(r) ? r : [r];
}

/**
 * Runs `kernelName` natively and with the JS cpu kernel on the same inputs; asserts that the native path was
 * taken (not a fallback) and returns both outputs.
 * @param kernelName tfjs kernel name.
 * @param inputs named input tensors (on ft-native).
 * @param attrs kernel attributes.
 */
export function runBoth(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): KernelDiff {
  const backend = tf.backend() as unknown as NativeBackend;
  const nat = tf.getKernel(kernelName, 'ft-native');
  const ref = tf.getKernel(kernelName, 'cpu');
  const before = kernelStats()[kernelName]?.native ?? 0;
  const read = (infos: tf.TensorInfo[]) =>
    infos.map((t) => {
      const values = backend.readSync(t.dataId) as Float32Array | Int32Array;
      backend.disposeData(t.dataId);
      return { shape: t.shape, dtype: t.dtype, values };
    });
  const first = read(toList(nat.kernelFunc({ inputs, backend, attrs })));
  // Pooled outputs are uninitialised: poison the free buffers of every output size with NaN and run again, so a
  // kernel that does not write its whole output fails the comparison.
  for (const o of first) {
    const n = o.values.length;
    const bufs = [0, 1, 2].map(() => backend.pool.alloc(n));
    for (const b of bufs) b.fill(Number.NaN);
    for (const b of bufs) backend.pool.free(b);
  }
  const n = read(toList(nat.kernelFunc({ inputs, backend, attrs })));
  const after = kernelStats()[kernelName]?.native ?? 0;
  expect(after, `${kernelName} did not take the native path`).toBe(before + 2);
  first.forEach((o, i) => {
    expect(maxAbsDiff(o.values, n[i].values), `${kernelName}: output ${i} differs between runs`).toBe(0);
  });
  const r = read(toList(ref.kernelFunc({ inputs, backend, attrs })));
  return { native: n, ref: r };
}

/** max |a − b| (NaN-aware: equal NaNs count as 0, a NaN on one side only as Infinity). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) return Number.POSITIVE_INFINITY;
      continue;
    }
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

/** max |x| over finite entries. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Asserts that `actual` matches `expected` within a magnitude-scaled tolerance.
 * @returns the max abs difference (for reporting).
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, label = ''): number {
  expect(actual.length, `${label} length`).toBe(expected.length);
  const d = maxAbsDiff(actual, expected);
  const bound = tol.atol + tol.rtol * maxAbs(expected);
  expect(
    d,
    `${label}: max |Δ| ${d} > ${bound} (atol ${tol.atol} + rtol ${tol.rtol} · max|ref| ${maxAbs(expected)})`,
  ).toBeLessThanOrEqual(bound);
  return d;
}

const worst = new Map<string, { absDiff: number; maxRef: number; cases: number }>();

/** Worst observed max |Δ| per kernel in this file (with the largest |ref| seen), for the test log. */
export function parityReport(): string {
  return [...worst.entries()]
    .map(
      ([k, v]) => `${k}: max|Δ| ${v.absDiff.toExponential(2)} (max|ref| ${v.maxRef.toPrecision(3)}, ${v.cases} cases)`,
    )
    .join('\n');
}

/**
 * Runs a kernel both ways and compares every output (shapes, dtypes and values).
 * @returns the max abs difference over outputs.
 */
export function expectKernelParity(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap,
  tol: Tol,
  label = kernelName,
): number {
  const { native, ref } = runBoth(kernelName, inputs, attrs);
  expect(native.length).toBe(ref.length);
  let worstDiff = 0;
  native.forEach((o, i) => {
    expect(o.shape, `${label} output ${i} shape`).toEqual(ref[i].shape);
    expect(o.dtype, `${label} output ${i} dtype`).toBe(ref[i].dtype);
    worstDiff = Math.max(worstDiff, expectClose(o.values, ref[i].values, tol, `${label} output ${i}`));
    const w = worst.get(kernelName) ?? { absDiff: 0, maxRef: 0, cases: 0 };
    w.maxRef = Math.max(w.maxRef, maxAbs(ref[i].values));
    worst.set(kernelName, w);
  });
  const w = worst.get(kernelName);
  if (w) {
    w.absDiff = Math.max(w.absDiff, worstDiff);
    w.cases++;
  }
  return worstDiff;
}
