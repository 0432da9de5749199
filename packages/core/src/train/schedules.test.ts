import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import {
  constant,
  constantLr,
  cosine,
  cosineAnnealing,
  cyclicLr,
  cyclicTriangular,
  exponential,
  fixedSchedule,
  linearRamp,
  linearWarmup,
  multiStep,
  oneCycle,
  oneCycleLr,
  piecewiseDecay,
  piecewiseLinear,
  scheduleCurve,
  stepDecay,
} from './schedules.js';

describe('schedules (closed-form values)', () => {
  it('constant', () => {
    const s = constant(0.3);
    expect([0, 10, 1e6].map(s)).toEqual([0.3, 0.3, 0.3]);
  });

  it('multiStep decays by γ at each milestone reached', () => {
    const s = multiStep({ lr: 0.1, milestones: [3, 6], gamma: 0.5 });
    expect([0, 2, 3, 5, 6, 100].map(s)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(multiStep({ lr: 1, milestones: [1] })(1)).toBeCloseTo(0.1, 12);
  });

  it('stepDecay: lr·γ^⌊t/stepSize⌋', () => {
    const s = stepDecay({ lr: 1, stepSize: 10, gamma: 0.5 });
    expect([0, 9, 10, 19, 20, 35].map(s)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
  });

  it('cosine with cycles 7.9/16 is the SSL code lr·max(0, cos(π·7.9/16·t/T))', () => {
    const lr = 0.03;
    const T = 1000;
    const s = cosine({ lr, T, cycles: 7.9 / 16 });
    for (const t of [0, 1, 250, 500, 999, 1000]) {
      expect(s(t)).toBeCloseTo(lr * Math.max(0, Math.cos((Math.PI * 7.9 * t) / (16 * T))), 14);
    }
    expect(s(T) / lr).toBeCloseTo(Math.cos((Math.PI * 7.9) / 16), 12); // ≈ 0.0196
    expect(s(T) / lr).toBeCloseTo(0.0196, 3);
  });

  it('cosine default cycles 0.5 reaches minLr at T and stays there', () => {
    const s = cosine({ lr: 1, T: 100, minLr: 0.1 });
    expect(s(0)).toBe(1);
    expect(s(50)).toBeCloseTo(0.1 + 0.9 * Math.cos(Math.PI / 4), 12);
    expect(s(100)).toBeCloseTo(0.1, 12);
    expect(s(250)).toBeCloseTo(0.1, 12);
    expect(s(400)).toBeCloseTo(0.1, 12); // no second lobe
  });

  it('cosineAnnealing is PyTorch CosineAnnealingLR', () => {
    const s = cosineAnnealing({ lr: 1, T: 10, minLr: 0 });
    expect(s(0)).toBe(1);
    expect(s(5)).toBeCloseTo(0.5, 12);
    expect(s(10)).toBeCloseTo(0, 12);
    expect(s(20)).toBeCloseTo(0, 12);
  });

  it('linearWarmup ramps to base(W) and then follows the unshifted base', () => {
    const base = stepDecay({ lr: 1, stepSize: 10, gamma: 0.5 });
    const s = linearWarmup(base, { warmupSteps: 4 });
    expect([0, 1, 2, 3, 4, 9, 10].map(s)).toEqual([0, 0.25, 0.5, 0.75, 1, 1, 0.5]);
    const s2 = linearWarmup(constant(2), { warmupSteps: 10, startFactor: 0.1 });
    expect(s2(0)).toBeCloseTo(0.2, 12);
    expect(s2(5)).toBeCloseTo(2 * (0.1 + 0.9 * 0.5), 12);
    expect(linearWarmup(base, { warmupSteps: 0 })).toBe(base);
  });

  it('piecewiseLinear interpolates and clamps (np.interp)', () => {
    const s = piecewiseLinear([
      [0, 0],
      [10, 1],
      [30, 0],
    ]);
    expect([-5, 0, 5, 10, 20, 30, 40].map(s)).toEqual([0, 0, 0.5, 1, 0.5, 0, 0]);
    expect(() => piecewiseLinear([])).toThrow(InvalidArgumentError);
    expect(() =>
      piecewiseLinear([
        [2, 1],
        [1, 0],
      ]),
    ).toThrow(/increasing/);
  });

  it('oneCycle peaks at peakAt·T (locuslab interp [0, 2T/5, T] → [0, max, 0])', () => {
    const s = oneCycle({ peakLr: 0.2, T: 100 });
    expect(s(0)).toBe(0);
    expect(s(20)).toBeCloseTo(0.1, 12);
    expect(s(40)).toBeCloseTo(0.2, 12);
    expect(s(70)).toBeCloseTo(0.1, 12);
    expect(s(100)).toBe(0);
    expect(s(120)).toBe(0);
  });

  it('cyclicTriangular: repeating (stepSize) and single-cycle (T) forms', () => {
    const s = cyclicTriangular({ baseLr: 0.1, peakLr: 1.1, stepSize: 5 });
    expect([0, 5, 10, 15, 20].map(s)).toEqual([0.1, 1.1, 0.1, 1.1, 0.1]);
    expect(s(2.5)).toBeCloseTo(0.6, 12);
    expect(s(12)).toBeCloseTo(0.1 + 0.4, 12);
    const w = cyclicTriangular({ peakLr: 0.2, T: 30 });
    expect([0, 15, 30, 45].map(w)).toEqual([0, 0.2, 0, 0]);
    expect(w(7.5)).toBeCloseTo(0.1, 12);
    expect(() => cyclicTriangular({ peakLr: 1 })).toThrow(/exactly one/);
  });

  it('exponential: continuous and staircase', () => {
    const s = exponential({ lr: 2, gamma: 0.5 });
    expect([0, 1, 2].map(s)).toEqual([2, 1, 0.5]);
    const c = exponential({ lr: 1, gamma: 0.1, decaySteps: 10 });
    expect(c(5)).toBeCloseTo(0.1 ** 0.5, 12);
    const st = exponential({ lr: 1, gamma: 0.1, decaySteps: 10, staircase: true });
    expect(st(5)).toBe(1);
    expect(st(10)).toBeCloseTo(0.1, 12);
  });

  it('linearRamp for loss weights', () => {
    const w = linearRamp(100);
    expect([0, 25, 100, 1000].map(w)).toEqual([0, 0.25, 1, 1]);
    const w2 = linearRamp(10, { from: 1, to: 3 });
    expect(w2(5)).toBe(2);
    expect(linearRamp(0)(0)).toBe(1);
  });

  it('validates parameters', () => {
    expect(() => constant(-1)).toThrow(InvalidArgumentError);
    expect(() => cosine({ lr: 1, T: 0 })).toThrow(/T must be > 0/);
    expect(() => multiStep({ lr: 1, milestones: [5, 2] })).toThrow(/milestones/);
    expect(() => oneCycle({ peakLr: 1, T: 10, peakAt: 1 })).toThrow(/peakAt/);
  });
});

describe('length-relative specs', () => {
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
    expect(piecewiseDecay({ peakLr: 0.05 }).name).toBe('piecewise(÷10 at 50%, 75%)');
    expect(() => piecewiseDecay({ peakLr: 0.1, milestones: [0.75, 0.5] })).toThrow(/milestones/);
    expect(() => piecewiseDecay({ peakLr: 0.1 }).build(0)).toThrow(/piecewiseDecay: totalSteps must be an integer/);
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
    expect(() => constantLr(-0.1)).toThrow(/constantLr: lr must be a finite number >= 0, got -0.1/);
    expect(() => oneCycleLr({ peakLr: 0.1, peakAt: 1 })).toThrow(/peakAt/);
    expect(() => fixedSchedule(0.1 as unknown as (t: number) => number)).toThrow(InvalidArgumentError);
  });

  it('a spec scales with the run length: the same fraction of training gives the same lr', () => {
    for (const spec of [piecewiseDecay({ peakLr: 0.1 }), cyclicLr({ peakLr: 0.1 }), oneCycleLr({ peakLr: 0.1 })]) {
      const short = spec.build(40);
      const long = spec.build(400);
      for (const f of [0, 0.1, 0.3, 0.6, 0.9]) expect(long(f * 400)).toBeCloseTo(short(f * 40), 12);
    }
  });

  it('scheduleCurve samples lr against the training fraction', () => {
    const pts = scheduleCurve(oneCycleLr({ peakLr: 1, peakAt: 0.5 }), 11, 11);
    expect(pts.length).toBe(11);
    expect(pts[0]).toEqual({ x: 0, y: 0 });
    // t = 5 of T = 11: 5 / 5.5 of the way up to the peak at 5.5
    expect(pts[5]).toEqual({ x: 5 / 11, y: expect.closeTo(5 / 5.5, 12) });
    expect(pts[10].x).toBeCloseTo(10 / 11, 12);
    expect(scheduleCurve(constantLr(0.1), 1000).length).toBe(200);
  });
});
