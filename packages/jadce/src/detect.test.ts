import { describe, expect, it } from 'vitest';
import { detectActivity } from './detect.js';
import { cmat } from './host-complex.js';

describe('detectActivity', () => {
  it('thresholds posteriors (default 0.5) and row energies ‖x_n‖²/c', () => {
    expect(Array.from(detectActivity({ pi: [0.1, 0.5, 0.9] }))).toEqual([0, 1, 1]);
    expect(Array.from(detectActivity({ pi: [0.1, 0.5, 0.9], threshold: 0.95 }))).toEqual([0, 0, 0]);
    const X = cmat(3, 2);
    X.re.set([1, 1, 0, 0, 0.1, 0]);
    X.im.set([0, 0, 0, 0, 0, 0.1]); // energies / 2: 1, 0, 0.01
    expect(Array.from(detectActivity({ X, energyThreshold: 0.005 }))).toEqual([1, 0, 1]);
    expect(Array.from(detectActivity({ X, energyThreshold: 0.5 }))).toEqual([1, 0, 0]);
    expect(() => detectActivity({ X, energyThreshold: -1 })).toThrow(/energyThreshold/);
  });
});
