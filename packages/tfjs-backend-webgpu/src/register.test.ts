import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, registerWebGpuBackend, webgpuInfo } from './register.js';
import { registerForTests } from './test-helpers.js';

const run = promisify(execFile);

const reg = await registerForTests();

describe.skipIf(!reg.ok)('registration on the available adapter', () => {
  afterAll(() => disposeWebGpu());

  it('registers ft-webgpu with the adapter, versions and kernel counters in the info', async () => {
    expect(reg.ok).toBe(true);
    if (!reg.ok) return;
    expect(reg.name).toBe('ft-webgpu');
    const i = reg.info;
    expect(i.available).toBe(true);
    expect(i.adapter?.device.length).toBeGreaterThan(0);
    expect(i.hardware).toBe(!i.adapter?.software);
    expect(i.backends).toEqual(['ft-webgpu']);
    expect(Object.keys(i.kernels)).toEqual([
      'Conv2D',
      'FusedConv2D',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'Cumsum',
      'Cumprod',
      'FtSGDUpdate',
      'FtMomentumUpdate',
      'FtAdamUpdate',
      'FtBatchNormTrain',
      'FtBatchNormGrad',
    ]);
    // Every stock kernel is available under the new name, plus the fused optimizer updates and BatchNorm.
    const stock = tf.getKernelsForBackend('webgpu').map((k) => k.kernelName);
    const ours = tf.getKernelsForBackend('ft-webgpu').map((k) => k.kernelName);
    const added = ['FtAdamUpdate', 'FtMomentumUpdate', 'FtSGDUpdate', 'FtBatchNormTrain', 'FtBatchNormGrad'];
    expect(ours.sort()).toEqual([...stock, ...added].sort());
    // A software adapter never wins tfjs' default selection.
    if (i.adapter?.software) expect(tf.engine().registryFactory['ft-webgpu'].priority).toBe(0);
  });

  it('is idempotent, and a second name shares the device (stock kernels with overrides off)', async () => {
    const again = await registerWebGpuBackend({ software: true });
    expect(again.ok).toBe(true);
    const stock = await registerWebGpuBackend({ name: 'webgpu-stock', overrides: false, software: true });
    expect(stock.ok).toBe(true);
    expect(webgpuInfo().backends).toEqual(['ft-webgpu', 'webgpu-stock']);
    await tf.setBackend('webgpu-stock');
    const y = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(Array.from(await y.data())).toEqual([4, 6]);
    y.dispose();
    await tf.setBackend('ft-webgpu');
    expect(webgpuInfo().buffers).not.toBeNull();
  });

  it('dataSync on GPU memory fails with a clear message instead of "OffscreenCanvas is not defined"', async () => {
    await tf.setBackend('ft-webgpu');
    // Large enough that tfjs-webgpu runs it on the GPU (it computes tiny ops with CPU-resident inputs on the CPU).
    const y = tf.add(tf.fill([4096], 1), tf.fill([4096], 2));
    expect(() => y.dataSync()).toThrow(/cannot read GPU memory synchronously in Node; use await tensor.data/);
    expect((await y.data())[4095]).toBe(3);
    y.dispose();
  });

  it('a process that trains on ft-webgpu and calls disposeWebGpu() exits by itself', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    expect(existsSync(dist), 'build the package first (pnpm --filter @ft/tfjs-backend-webgpu build)').toBe(true);
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-layers';
      import '@tensorflow/tfjs-backend-cpu';
      const gpu = await import(${JSON.stringify(dist)});
      const r = await gpu.registerWebGpuBackend({ software: true });
      if (!r.ok) { console.log('FAIL', r.reason); process.exitCode = 2; }
      else {
        await tf.setBackend('ft-webgpu');
        const w = tf.variable(tf.ones([3, 3, 2, 4]));
        const x = tf.ones([2, 6, 6, 2]);
        const g = tf.grad((v) => tf.sum(tf.conv2d(x, v, 1, 'same')))(w);
        console.log('SUM', (await tf.sum(g).data())[0]);
        gpu.disposeWebGpu();
        tf.dispose(tf.add(tf.scalar(1), 1));
        console.log('BACKEND', tf.getBackend(), typeof globalThis.navigator?.gpu);
      }`;
    const t0 = Date.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 30_000,
      env: { ...process.env, EGL_PLATFORM: 'surfaceless' },
    });
    expect(stdout).toContain('SUM 4096'); // (5 + 6 + 5)² window hits × batch 2 × 2 × 4 channels
    expect(stdout).toContain('BACKEND cpu undefined');
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
