import { InvalidArgumentError, scheduleCurve } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { slowStartFastDecay } from './schedules.js';

describe('slowStartFastDecay', () => {
  it('linear: rises linearly to η_max at pT, then falls linearly to 0 at T', () => {
    const s = slowStartFastDecay({ peakLr: 0.1, warmFraction: 0.7 }).build(100);
    expect(s(0)).toBe(0);
    expect(s(35)).toBeCloseTo(0.05, 12);
    expect(s(70)).toBeCloseTo(0.1, 12);
    expect(s(85)).toBeCloseTo(0.05, 12);
    expect(s(100)).toBeCloseTo(0, 12);
    // slow start, fast decay: the slope after the peak is p/(1−p) times steeper
    const up = s(70) - s(69);
    const down = s(70) - s(71);
    expect(down / up).toBeCloseTo(0.7 / 0.3, 6);
  });

  it('exp: η_max·γ^{(t−pT)/((1−p)T)} after the peak', () => {
    const s = slowStartFastDecay({ peakLr: 0.2, warmFraction: 0.5, decay: 'exp', gamma: 0.01 }).build(40);
    expect(s(10)).toBeCloseTo(0.1, 12);
    expect(s(20)).toBeCloseTo(0.2, 12);
    expect(s(30)).toBeCloseTo(0.2 * 0.01 ** 0.5, 12);
    expect(s(40)).toBeCloseTo(0.2 * 0.01, 12);
  });

  it('startLr / endLr and validation', () => {
    const s = slowStartFastDecay({ peakLr: 1, warmFraction: 0.5, startLr: 0.1, endLr: 0.2 }).build(10);
    expect(s(0)).toBeCloseTo(0.1, 12);
    expect(s(10)).toBeCloseTo(0.2, 12);
    expect(() => slowStartFastDecay({ peakLr: 0.1, warmFraction: 1 })).toThrow(InvalidArgumentError);
    expect(() => slowStartFastDecay({ peakLr: -1 })).toThrow(/peakLr/);
    expect(() => slowStartFastDecay({ peakLr: 0.1, decay: 'cos' as 'exp' })).toThrow(/decay/);
    expect(() => slowStartFastDecay({ peakLr: 0.1 }).build(0)).toThrow(/totalSteps/);
    expect(slowStartFastDecay({ peakLr: 0.1 }).name).toBe('slow-start-fast-decay(p=0.7, linear)');
  });
});

describe('slowStartFastDecay with scheduleCurve', () => {
  it('scheduleCurve samples lr against the training fraction', () => {
    const pts = scheduleCurve(slowStartFastDecay({ peakLr: 1, warmFraction: 0.5 }), 11, 11);
    expect(pts.length).toBe(11);
    expect(pts[0]).toEqual({ x: 0, y: 0 });
    expect(pts[5].y).toBeCloseTo(5 / 5.5, 12);
  });
});
