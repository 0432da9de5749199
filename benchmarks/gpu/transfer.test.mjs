/**
 * Issue 18: "demonstrate one quick transfer run on ft-webgpu on the software path in CI". @ft/core's transferRun (full
 * fine-tuning of a BatchNorm CNN, unchanged code) runs on ft-webgpu over Dawn's OpenGL backend on llvmpipe and gives
 * cpu's losses and accuracy. It fails instead of skipping under FT_REQUIRE_SERVICES=1 when no adapter exists.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ArrayImageDataset, buildBackbone, createRng, transferRun } from '@ft/core';
import { disposeWebGpu, registerWebGpuBackend } from '@ft/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

// tfjs-backend-cpu is a devDependency of the backend package, not of the benchmarks.
const req = createRequire(
  path.join(fileURLToPath(new URL('../../packages/tfjs-backend-webgpu/', import.meta.url)), 'package.json'),
);
await import(pathToFileURL(req.resolve('@tensorflow/tfjs-backend-cpu')).href);

process.env.EGL_PLATFORM ??= 'surfaceless';
const reg = await registerWebGpuBackend({ software: true });
if (!reg.ok) {
  const line = `no WebGPU adapter, transfer-on-ft-webgpu test skipped (${reg.reason})`;
  if (process.env.FT_REQUIRE_SERVICES === '1') throw new Error(`FT_REQUIRE_SERVICES=1 but ${line}`);
  console.warn(line);
}

/** Left-bright vs right-bright 12×12 images with noise: a two-class task a small CNN learns in a few steps. */
function halves(n, seed) {
  const rng = createRng(seed);
  const images = new Float32Array(n * 144);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let r = 0; r < 12; r++)
      for (let c = 0; c < 12; c++) {
        const bright = c < 6 === (labels[i] === 0);
        images[i * 144 + r * 12 + c] = Math.min(1, Math.max(0, (bright ? 0.8 : 0.2) + 0.1 * rng.normal()));
      }
  }
  return new ArrayImageDataset({ images, labels, shape: [12, 12, 1], numClasses: 2 });
}

async function run(backend) {
  await tf.setBackend(backend);
  const source = buildBackbone('tinyCnn', { inputShape: [12, 12, 1], numClasses: 3, seed: 1 }).model;
  const r = await transferRun({
    method: 'full',
    source,
    arch: 'tinyCnn',
    train: halves(32, 0),
    test: halves(16, 1),
    steps: 6,
    batchSize: 16,
    seed: 0,
  });
  const out = { loss: r.history.epochs.map((e) => e.loss), steps: r.history.steps, test: r.test };
  r.dispose();
  return out;
}

describe.skipIf(!reg.ok)('a transfer run on ft-webgpu (software adapter)', () => {
  afterAll(() => disposeWebGpu());

  it("core's transferRun fine-tunes on ft-webgpu with cpu's losses and test accuracy", async () => {
    const ref = await run('cpu');
    const got = await run('ft-webgpu');
    expect(got.steps).toBe(6);
    expect(got.loss.length).toBeGreaterThan(0);
    for (let i = 0; i < ref.loss.length; i++) expect(got.loss[i]).toBeCloseTo(ref.loss[i], 4);
    expect(got.test.accuracy).toBe(ref.test.accuracy);
    expect(got.test.loss).toBeCloseTo(ref.test.loss, 4);
  });
});
