import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  constantLr,
  cyclicLr,
  fixedSchedule,
  oneCycleLr,
  piecewiseDecay,
  scheduleCurve,
  slowStartFastDecay,
} from './schedules.js';

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

describe('baseline schedules', () => {
  it('piecewise: η_max, ÷10 at 50 %, ÷100 at 75 %', () => {
    const s = piecewiseDecay({ peakLr: 0.05 }).build(200);
    expect(s(0)).toBe(0.05);
    expect(s(99)).toBe(0.05);
    expect(s(100)).toBeCloseTo(0.005, 12);
    expect(s(149)).toBeCloseTo(0.005, 12);
    expect(s(150)).toBeCloseTo(0.0005, 12);
    // very short runs still get distinct milestones
    const short = piecewiseDecay({ peakLr: 1 }).build(2);
    expect([short(0), short(1)]).toEqual([1, 0.1]);
  });

  it("cyclic: Wong's triangle 0 → η_max at T/2 → 0", () => {
    const s = cyclicLr({ peakLr: 0.2 }).build(100);
    expect(s(0)).toBe(0);
    expect(s(25)).toBeCloseTo(0.1, 12);
    expect(s(50)).toBeCloseTo(0.2, 12);
    expect(s(75)).toBeCloseTo(0.1, 12);
    expect(s(100)).toBe(0);
  });

  it('one-cycle peaks at 40 %; constant is constant; fixed wraps a function', () => {
    const s = oneCycleLr({ peakLr: 0.1 }).build(100);
    expect(s(40)).toBeCloseTo(0.1, 12);
    expect(s(20)).toBeCloseTo(0.05, 12);
    expect(s(70)).toBeCloseTo(0.05, 12);
    const c = constantLr(0.01).build(5);
    expect([c(0), c(4), c(100)]).toEqual([0.01, 0.01, 0.01]);
    expect(fixedSchedule((t) => t).build(3)(7)).toBe(7);
    expect(() => constantLr(-0.1)).toThrow(InvalidArgumentError);
  });

  it('scheduleCurve samples lr against the training fraction', () => {
    const pts = scheduleCurve(slowStartFastDecay({ peakLr: 1, warmFraction: 0.5 }), 11, 11);
    expect(pts.length).toBe(11);
    expect(pts[0]).toEqual({ x: 0, y: 0 });
    expect(pts[5].y).toBeCloseTo(5 / 5.5, 12);
  });
});
