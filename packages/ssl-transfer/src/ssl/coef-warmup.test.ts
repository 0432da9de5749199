import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { lambdaWarmup } from '../regularisers/warmup.js';
import { sslCoefWarmup } from './coef-warmup.js';

describe('sslCoefWarmup', () => {
  it('no warm-up by default: coef at every step, including 0', () => {
    expect(sslCoefWarmup(0.5, 0)).toBe(0.5);
    expect(sslCoefWarmup(0.5, 7)).toBe(0.5);
    expect(sslCoefWarmup(1, 3, { warmupSteps: 0 })).toBe(1);
  });

  it("is coef·min(1, t/warmupSteps), lambdaWarmup's ramp (ICT: 500 over 4000 iterations)", () => {
    expect(sslCoefWarmup(500, 0, { warmupSteps: 4000 })).toBe(0);
    expect(sslCoefWarmup(500, 1000, { warmupSteps: 4000 })).toBe(125);
    expect(sslCoefWarmup(500, 4000, { warmupSteps: 4000 })).toBe(500);
    expect(sslCoefWarmup(500, 9000, { warmupSteps: 4000 })).toBe(500);
    expect(sslCoefWarmup(3, 7, { warmupSteps: 10 })).toBe(lambdaWarmup(3, 7, { warmupSteps: 10 }));
    expect(sslCoefWarmup(3, 7, { warmupSteps: 10 })).toBeCloseTo(2.1, 12);
  });

  it('typed errors name sslCoefWarmup: negative or NaN coef/step, warmupSteps not an integer >= 0', () => {
    expect(() => sslCoefWarmup(-1, 3)).toThrow(InvalidArgumentError);
    expect(() => sslCoefWarmup(1, Number.NaN)).toThrow(/sslCoefWarmup: step/);
    expect(() => sslCoefWarmup(Number.POSITIVE_INFINITY, 1)).toThrow(/sslCoefWarmup: coef/);
    for (const warmupSteps of [-1, 1.5, Number.NaN]) {
      expect(() => sslCoefWarmup(1, 3, { warmupSteps })).toThrow(/sslCoefWarmup: warmupSteps must be an integer >= 0/);
    }
  });
});
