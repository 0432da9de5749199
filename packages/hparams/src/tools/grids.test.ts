import { describe, expect, it } from 'vitest';
import { effectiveLr } from './effective-lr.js';
import { grids } from './grids.js';

describe('grids', () => {
  it("holds Li et al.'s main grid and recipe", () => {
    const g = grids.liEtAl2020;
    expect(g.lr).toEqual([0.1, 0.05, 0.01, 0.005, 0.001, 0.0001]);
    expect(g.momentum).toEqual([0.9, 0.99, 0.95, 0.8, 0.0]);
    expect(g.weightDecay).toEqual([0, 1e-4, 5e-4, 1e-3]);
    expect(g.defaults).toEqual({ batchSize: 256, lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
    expect([g.epochs, ...g.decayEpochs, g.decayFactor]).toEqual([300, 150, 250, 0.1]);
    expect(g.scratch).toEqual({ epochs: 600, decayEpochs: [400, 550], lr: [0.1, 0.2, 0.5], weightDecay: [1e-4, 5e-4] });
    expect(g.lr.length * g.momentum.length * g.weightDecay.length).toBe(120);
    // The default's effective learning rate is 0.1 (η 0.01 at m 0.9).
    expect(effectiveLr(g.defaults.lr, g.defaults.momentum)).toBeCloseTo(0.1, 15);
  });

  it('holds the App. D (L2 vs L2-SP) grid', () => {
    const g = grids.l2spAppD;
    expect(g.lr).toEqual([0.02, 0.01, 0.005, 0.001, 0.0001]);
    expect(g.alpha).toEqual([0.1, 0.01, 0.001, 0.0001]);
    expect([g.betaSp, g.batchSize, g.iterations, g.decayAt, g.decayFactor, g.momentum]).toEqual([
      0.01, 64, 9000, 6000, 0.1, 0.9,
    ]);
    expect(g.metric).toBe('average class error');
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(grids)).toBe(true);
    expect(Object.isFrozen(grids.liEtAl2020.lr)).toBe(true);
    expect(Object.isFrozen(grids.liEtAl2020.scratch.lr)).toBe(true);
    expect(() => {
      (grids.liEtAl2020.lr as number[])[0] = 1;
    }).toThrow(TypeError);
  });
});
