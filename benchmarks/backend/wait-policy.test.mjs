import { describe, expect, it } from 'vitest';
import { settingEnv } from './wait-policy.mjs';

describe('wait-policy settings', () => {
  it('sets exactly one of OMP_WAIT_POLICY and GOMP_SPINCOUNT and unsets the other', () => {
    expect(settingEnv('passive')).toEqual({ OMP_WAIT_POLICY: 'passive', GOMP_SPINCOUNT: undefined });
    expect(settingEnv('active')).toEqual({ OMP_WAIT_POLICY: 'active', GOMP_SPINCOUNT: undefined });
    expect(settingEnv('3000')).toEqual({ GOMP_SPINCOUNT: '3000', OMP_WAIT_POLICY: undefined });
  });
  it('rejects anything else with the flag named', () => {
    expect(() => settingEnv('fast')).toThrow(/--settings: "fast"/);
    expect(() => settingEnv('-5')).toThrow(/--settings/);
  });
});
