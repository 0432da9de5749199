import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { WebGpuUnavailableError } from './errors.js';
import { disposeWebGpu, registerWebGpuBackend, requireWebGpu, webgpuInfo } from './register.js';

// No adapter is registered in this file before these tests run (register.test.ts covers the registered backend).
describe('registration without a usable adapter', () => {
  it('reports nothing held before registration, and never throws', () => {
    const i = webgpuInfo();
    expect(i.available).toBe(false);
    expect(i.adapter).toBeNull();
    expect(i.hardware).toBe(false);
    expect(i.backends).toEqual([]);
    expect(i.buffers).toBeNull();
    expect(i.dawn).toMatch(/^\d+\.\d+\.\d+$/);
    expect(i.tfjsWebgpu).toMatch(/^4\./);
  });

  it('an adapter name that matches nothing gives NO_ADAPTER and a one-line reason naming it', async () => {
    const r = await registerWebGpuBackend({ adapter: 'no-such-gpu-xyz', software: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('NO_ADAPTER');
    expect(r.reason).toContain("FT_WEBGPU_ADAPTER='no-such-gpu-xyz'");
    expect(r.reason).not.toContain('\n');
    expect(r.error).toBeInstanceOf(WebGpuUnavailableError);
    expect(webgpuInfo().reason).toBe(r.reason);
    expect(tf.findBackendFactory('ft-webgpu')).toBeNull();
  });

  it('a bad FT_WEBGPU_SOFTWARE is INVALID_ARGUMENT, and requireWebGpu throws the typed error', async () => {
    process.env.FT_WEBGPU_SOFTWARE = 'maybe';
    try {
      const r = await registerWebGpuBackend();
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe('INVALID_ARGUMENT');
      await expect(requireWebGpu()).rejects.toThrow(/FT_WEBGPU_SOFTWARE must be 0 or 1, got 'maybe'/);
    } finally {
      delete process.env.FT_WEBGPU_SOFTWARE;
    }
  });

  it('an unknown kernel in stockKernels is INVALID_ARGUMENT, naming the kernels it knows', async () => {
    const r = await registerWebGpuBackend({ stockKernels: ['Conv2DBackpropNope'], software: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.reason).toBe(
      "unknown kernel 'Conv2DBackpropNope' in FT_WEBGPU_STOCK_KERNELS/stockKernels (known: Conv2D, FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput, Cumsum, Cumprod, FtSGDUpdate, FtMomentumUpdate, FtAdamUpdate, FtBatchNormTrain, FtBatchNormGrad)",
    );
  });

  it('without software adapters allowed, a machine with only llvmpipe gets no backend, with the reason', async () => {
    const r = await registerWebGpuBackend();
    if (r.ok) {
      // A machine with a real GPU: it must be a hardware adapter.
      expect(r.info.hardware).toBe(true);
      disposeWebGpu();
      return;
    }
    expect(['NO_ADAPTER', 'SOFTWARE_ONLY']).toContain(r.code);
    expect(r.reason).toMatch(/FT_WEBGPU_SOFTWARE=1/);
    expect(tf.findBackendFactory('ft-webgpu')).toBeNull();
  });
});
