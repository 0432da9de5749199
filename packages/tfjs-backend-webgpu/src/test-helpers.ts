/**
 * Test helpers: register `ft-webgpu` on whatever adapter exists (the software OpenGL path allowed), and decide
 * whether the GPU tests run. They skip with one printed line on a machine without any adapter, except under
 * FT_REQUIRE_SERVICES=1 (CI, after scripts/bootstrap.sh installed Mesa's EGL/GL drivers), where that is a failure.
 */
// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { type RegisterWebGpuResult, registerWebGpuBackend } from './register.js';

/** Registers `ft-webgpu` allowing a software adapter; the result says whether GPU tests can run. */
export async function registerForTests(): Promise<RegisterWebGpuResult> {
  const r = await registerWebGpuBackend({ software: true });
  if (!r.ok) {
    const line = `@ft/tfjs-backend-webgpu: no WebGPU adapter, GPU tests skipped (${r.reason}); apt-get install libegl-mesa0 libgl1-mesa-dri`;
    if (process.env.FT_REQUIRE_SERVICES === '1') throw new Error(`FT_REQUIRE_SERVICES=1 but ${line}`);
    console.warn(line);
  }
  return r;
}

/** Deterministic pseudo-random values in [-1, 1) (a sine hash, identical on every backend). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    out[i] = 2 * (s - Math.floor(s)) - 1;
  }
  return out;
}

/** Runs `f` on backend `name` and returns its tensor outputs' values (disposing them). */
export async function onBackend(name: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const vals = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return vals;
}

/** max |a − b| / max(1, max |b|). */
export function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** A convolution shape for the differential tests of the gradient kernels. */
export type ConvCase = {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
  why: string;
};

/** Odd shapes: strides, same/valid/explicit padding, 1×1, batch 1, channel counts off the 32-wide tiles. */
export const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 9, 5], f: [3, 3, 5, 7], strides: [1, 1], pad: 'same', why: '3×3 same, odd channels' },
  { x: [3, 11, 10, 6], f: [3, 3, 6, 33], strides: [2, 2], pad: 'valid', why: 'stride 2 valid, 33 out channels' },
  { x: [2, 12, 9, 4], f: [5, 3, 4, 6], strides: [2, 1], pad: 'same', why: '5×3 filter, stride (2,1), same' },
  { x: [1, 7, 7, 40], f: [1, 1, 40, 3], strides: [1, 1], pad: 'valid', why: '1×1, batch 1, K > tile' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], strides: [1, 1], pad: 1, why: 'explicit padding 1' },
  { x: [1, 6, 5, 2], f: [2, 2, 2, 2], strides: [3, 3], pad: 'same', why: 'stride 3 > filter, batch 1' },
  { x: [4, 16, 16, 16], f: [3, 3, 16, 16], strides: [1, 1], pad: 'same', why: 'ResNet block shape, many slices' },
  { x: [2, 9, 9, 70], f: [3, 3, 70, 65], strides: [2, 2], pad: 'same', why: 'several K and N tiles' },
];
