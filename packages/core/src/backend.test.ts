import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend, isSlowBackend, releaseBackend, SLOW_BACKEND_WARNING } from './backend.js';
import { InvalidArgumentError } from './errors.js';

const missing = async (s: string): Promise<never> => {
  throw new Error(`Cannot find module '${s}'`);
};

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.FT_BACKEND;
  });

  it('refuses an unknown name in prefer (a typo must not fall back silently to cpu)', async () => {
    await expect(initBackend({ prefer: ['cpux' as never], importModule: missing, ignoreEnv: true })).rejects.toThrow(
      /initBackend prefer: unknown backend "cpux"; valid backends: tensorflow, ft-webgpu, ft-native, cpu, wasm/,
    );
  });

  it('falls through missing optional backends to cpu and records why', async () => {
    const warnings: string[] = [];
    const info = await initBackend({ importModule: missing, ignoreEnv: true, log: { warn: (m) => warnings.push(m) } });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['tensorflow', false],
      ['ft-webgpu', false],
      ['ft-native', false],
      ['cpu', true],
    ]);
    expect(info.fallbackReason).toMatch(/tensorflow: .*not installed/);
    // Missing optional packages are expected: no warning about them, but one (and only one) about the slow backend,
    // saying how to install the fast one.
    expect(warnings).toEqual([SLOW_BACKEND_WARNING]);
    expect(SLOW_BACKEND_WARNING).toMatch(/1,000x slower.*@ft\/tfjs-backend-native/);
    await initBackend({ importModule: missing, ignoreEnv: true, log: { warn: (m) => warnings.push(m) } });
    expect(warnings).toHaveLength(1);
    expect(isSlowBackend(info)).toBe(true);
    expect(backendInfo().name).toBe('cpu');
  });

  it('reports no fallback when a fast backend is chosen as intended, and no slow warning when cpu was asked for', async () => {
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) };
    const fakeNative = async (s: string) => {
      if (s !== '@ft/tfjs-backend-native') throw new Error(`Cannot find module '${s}'`);
      return {
        registerNativeBackend: () => {
          if (!tf.findBackend('ft-native')) tf.registerBackend('ft-native', () => tf.findBackend('cpu')!, 1);
          return { ok: true };
        },
      };
    };
    const info = await initBackend({ importModule: fakeNative, ignoreEnv: true, log });
    expect(info.name).toBe('ft-native');
    expect(info.attempts.map((a) => a.name)).toEqual(['tensorflow', 'ft-webgpu', 'ft-native']);
    expect(info.fallbackReason).toBeUndefined();
    expect((await initBackend({ prefer: ['cpu'], importModule: missing, ignoreEnv: true, log })).name).toBe('cpu');
    expect(warnings).toEqual([]);
  });

  it('warns in one line when a native addon is installed but cannot load', async () => {
    const warnings: string[] = [];
    const info = await initBackend({
      prefer: ['ft-native', 'cpu'],
      importModule: async () => ({ registerNativeBackend: () => ({ ok: false, reason: 'libdnnl.so.2: cannot open' }) }),
      log: { warn: (m) => warnings.push(m) },
      ignoreEnv: true,
    });
    expect(info.name).toBe('cpu');
    expect(info.fallbackReason).toBe('ft-native: libdnnl.so.2: cannot open');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[ft\] backend ft-native unavailable \(libdnnl\.so\.2: cannot open\)/);
    expect(warnings[0]).not.toContain('\n');
  });

  it('honours FT_BACKEND and rejects unknown names', async () => {
    process.env.FT_BACKEND = 'cpu';
    const info = await initBackend({ importModule: missing });
    expect(info.attempts).toEqual([{ name: 'cpu', ok: true }]);
    process.env.FT_BACKEND = 'cuda';
    await expect(initBackend({ importModule: missing })).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses wasm for training unless allowed', async () => {
    const info = await initBackend({
      prefer: ['wasm', 'cpu'],
      importModule: missing,
      ignoreEnv: true,
      log: { warn() {} },
    });
    expect(info.name).toBe('cpu');
    expect(info.attempts[0].reason).toMatch(/Conv2DBackpropFilter/);
  });

  describe('ft-webgpu', () => {
    /** A fake @ft/tfjs-backend-webgpu whose registration gives `result` (an alias of cpu when it succeeds). */
    const fakeWebGpu = (result: Record<string, unknown>, calls: unknown[] = [], disposed: string[] = []) => {
      return async (s: string) => {
        if (s !== '@ft/tfjs-backend-webgpu') throw new Error(`Cannot find module '${s}'`);
        return {
          registerWebGpuBackend: async (o: unknown) => {
            calls.push(o);
            if (result.ok && !tf.findBackend('ft-webgpu'))
              tf.registerBackend('ft-webgpu', () => tf.findBackend('cpu')!, 0);
            return result;
          },
          disposeWebGpu: () => {
            disposed.push('dispose');
            tf.removeBackend('ft-webgpu');
          },
        };
      };
    };
    const h100 = {
      ok: true,
      name: 'ft-webgpu',
      info: {
        version: '0.1.0',
        dawn: '0.6.2',
        tfjsWebgpu: '4.22.0',
        hardware: true,
        adapter: { vendor: 'nvidia', device: 'NVIDIA H100', description: 'NVIDIA: 575.57', software: false },
      },
    };
    afterEach(async () => {
      releaseBackend();
      await tf.setBackend('cpu');
    });

    it('is chosen before ft-native on a hardware GPU, and reports the adapter, Dawn version and driver', async () => {
      const disposed: string[] = [];
      const warnings: string[] = [];
      const info = await initBackend({
        importModule: fakeWebGpu(h100, [], disposed),
        hasGpuDevice: () => true,
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      });
      expect(info.name).toBe('ft-webgpu');
      expect(tf.getBackend()).toBe('ft-webgpu');
      expect(info.gpu).toBe(true);
      expect(info.package).toBe('@ft/tfjs-backend-webgpu');
      expect(info.versions['tfjs-backend-webgpu']).toBe('0.1.0');
      expect(info.details).toMatchObject({
        dawn: '0.6.2',
        adapter: { device: 'NVIDIA H100', description: 'NVIDIA: 575.57' },
      });
      expect(info.attempts.map((a) => a.name)).toEqual(['tensorflow', 'ft-webgpu']);
      expect(info.fallbackReason).toBeUndefined();
      expect(warnings).toEqual([]);
      releaseBackend();
      expect(disposed).toEqual(['dispose']);
      releaseBackend(); // idempotent
      expect(disposed).toEqual(['dispose']);
    });

    it('is skipped quietly, without loading Dawn, on a machine with no GPU device', async () => {
      const loaded: string[] = [];
      const warnings: string[] = [];
      const info = await initBackend({
        importModule: async (s) => {
          loaded.push(s);
          throw new Error(`Cannot find module '${s}'`);
        },
        hasGpuDevice: () => false,
        prefer: ['ft-webgpu', 'cpu'],
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      }).catch((e) => e);
      // Asked for by name: the probe is skipped and the real reason is reported.
      expect(info.name).toBe('cpu');
      expect(loaded).toEqual(['@ft/tfjs-backend-webgpu']);
      expect(warnings[0]).toMatch(/backend ft-webgpu unavailable \(not installed\)/);
      loaded.length = 0;
      warnings.length = 0;
      const auto = await initBackend({
        importModule: fakeWebGpu(h100),
        hasGpuDevice: () => false,
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      });
      expect(auto.attempts.find((a) => a.name === 'ft-webgpu')).toEqual({
        name: 'ft-webgpu',
        ok: false,
        reason: 'no GPU device',
      });
      expect(warnings.filter((w) => w.includes('ft-webgpu'))).toEqual([]);
    });

    it('never takes a software adapter automatically; by name it passes webgpuSoftware on and warns with the reason', async () => {
      const calls: unknown[] = [];
      const warnings: string[] = [];
      const noAdapter = { ok: false, code: 'NO_ADAPTER', reason: 'no WebGPU adapter: Dawn found no Vulkan GPU' };
      const auto = await initBackend({
        importModule: fakeWebGpu(noAdapter, calls),
        hasGpuDevice: () => true,
        prefer: undefined,
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      });
      expect(calls).toEqual([{ software: false }]);
      expect(auto.attempts.find((a) => a.name === 'ft-webgpu')?.reason).toBe('no GPU device');
      const swOnly = { ok: false, code: 'SOFTWARE_ONLY', reason: 'only a software adapter (llvmpipe)' };
      const auto2 = await initBackend({
        importModule: fakeWebGpu(swOnly),
        hasGpuDevice: () => true,
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      });
      expect(auto2.attempts.find((a) => a.name === 'ft-webgpu')?.reason).toBe('no GPU device');
      expect(warnings.some((w) => w.includes('ft-webgpu'))).toBe(false);
      const named = await initBackend({
        importModule: fakeWebGpu(noAdapter, calls),
        prefer: ['ft-webgpu', 'cpu'],
        webgpuSoftware: true,
        ignoreEnv: true,
        log: { warn: (m) => warnings.push(m) },
      });
      expect(calls[1]).toEqual({ software: true });
      expect(named.name).toBe('cpu');
      expect(named.fallbackReason).toBe('ft-webgpu: no WebGPU adapter: Dawn found no Vulkan GPU');
      expect(warnings).toEqual([
        '[ft] backend ft-webgpu unavailable (no WebGPU adapter: Dawn found no Vulkan GPU); falling back',
      ]);
    });
  });
});
