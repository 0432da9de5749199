import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend, isSlowBackend, SLOW_BACKEND_WARNING } from './backend.js';
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
      /initBackend prefer: unknown backend "cpux"; valid backends: tensorflow, ft-native, cpu, wasm/,
    );
  });

  it('falls through missing optional backends to cpu and records why', async () => {
    const warnings: string[] = [];
    const info = await initBackend({ importModule: missing, ignoreEnv: true, log: { warn: (m) => warnings.push(m) } });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['tensorflow', false],
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
    expect(info.attempts.map((a) => a.name)).toEqual(['tensorflow', 'ft-native']);
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
});
