import { afterEach, describe, expect, it } from 'vitest';
import { resetAddonForTests } from './addon.js';
import { isNativeAvailable, nativeInfo, registerNativeBackend } from './register.js';

describe('graceful behaviour when the addon cannot load', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.FT_NATIVE_DISABLE = saved.FT_NATIVE_DISABLE;
    process.env.FT_NATIVE_ADDON = saved.FT_NATIVE_ADDON;
    if (saved.FT_NATIVE_DISABLE === undefined) delete process.env.FT_NATIVE_DISABLE;
    if (saved.FT_NATIVE_ADDON === undefined) delete process.env.FT_NATIVE_ADDON;
    resetAddonForTests();
  });

  it('reports the reason instead of throwing (FT_NATIVE_DISABLE=1)', () => {
    process.env.FT_NATIVE_DISABLE = '1';
    resetAddonForTests();
    expect(isNativeAvailable()).toBe(false);
    expect(registerNativeBackend()).toEqual({ ok: false, reason: 'disabled by FT_NATIVE_DISABLE=1' });
    const info = nativeInfo();
    expect(info.available).toBe(false);
    expect(info.reason).toContain('FT_NATIVE_DISABLE');
  });

  it('reports a file that is not a loadable addon', () => {
    process.env.FT_NATIVE_ADDON = new URL('../package.json', import.meta.url).pathname;
    resetAddonForTests();
    const r = registerNativeBackend();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^failed to load .*package\.json/);
  });
});
