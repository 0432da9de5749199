import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ARC_REG_WARMUP, lambdaWarmup } from './warmup.js';

describe('lambdaWarmup', () => {
  it('is λ·min(1, t/100): 0 at t = 0, half at 50, λ from 100 on', () => {
    expect(lambdaWarmup(50, 0)).toBe(0);
    expect(lambdaWarmup(50, 1)).toBeCloseTo(0.5, 12);
    expect(lambdaWarmup(50, 50)).toBe(25);
    expect(lambdaWarmup(50, 100)).toBe(50);
    expect(lambdaWarmup(50, 5000)).toBe(50);
    expect(lambdaWarmup(1, 3, { warmupSteps: 4 })).toBe(0.75);
    expect(ARC_REG_WARMUP).toBe(10);
  });

  it('typed errors for a negative λ or step and a bad warmupSteps', () => {
    expect(() => lambdaWarmup(-1, 3)).toThrow(InvalidArgumentError);
    expect(() => lambdaWarmup(1, Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => lambdaWarmup(1, 3, { warmupSteps: 0 })).toThrow(InvalidArgumentError);
  });
});
