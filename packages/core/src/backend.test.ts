import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend, isSlowBackend } from './backend.js';
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
    // Missing optional packages are expected: no warning by default.
    expect(warnings).toEqual([]);
    expect(isSlowBackend(info)).toBe(true);
    expect(backendInfo().name).toBe('cpu');
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
