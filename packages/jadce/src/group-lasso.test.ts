import { describe, expect, it } from 'vitest';
import { defaultGroupLassoMu, lambdaMax, pilotLipschitz } from './group-lasso.js';
import { cmat } from './host-complex.js';
import { randomCMat } from './test-helpers.js';

describe('group-LASSO helpers', () => {
  // S = 2·I (L = N = 2): Sᴴ Y = 2·Y, ‖S‖²₂ = 4
  const S = cmat(2, 2, Float64Array.from([2, 0, 0, 2]), new Float64Array(4));
  // Y rows (M = 1): 3 + 4i and 1
  const Y = cmat(2, 1, Float64Array.from([3, 1]), Float64Array.from([4, 0]));

  it('λ_max = max_n ‖s_nᴴ Y‖₂ and the Lipschitz constant ‖S‖²₂ (closed forms for S = 2·I)', () => {
    expect(lambdaMax(Y, S)).toBeCloseTo(10, 12);
    expect(pilotLipschitz(S)).toBeCloseTo(4, 10);
  });

  it('the Lipschitz constant bounds ‖S·v‖² / ‖v‖² for random v, and is cached per pilot matrix', () => {
    const A = randomCMat(6, 10, 1);
    const lc = pilotLipschitz(A);
    expect(pilotLipschitz(A)).toBe(lc);
    for (let t = 0; t < 5; t++) {
      const v = randomCMat(10, 1, 100 + t);
      let sv = 0;
      for (let i = 0; i < 6; i++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < 10; j++) {
          re += A.re[i * 10 + j] * v.re[j] - A.im[i * 10 + j] * v.im[j];
          im += A.re[i * 10 + j] * v.im[j] + A.im[i * 10 + j] * v.re[j];
        }
        sv += re * re + im * im;
      }
      let vv = 0;
      for (let j = 0; j < 10; j++) vv += v.re[j] ** 2 + v.im[j] ** 2;
      expect(sv / vv).toBeLessThanOrEqual(lc * (1 + 1e-9));
    }
  });

  it('default μ = σ·(√M + √(2 ln N)), floored at 1e-4·λ_max when there is no noise', () => {
    expect(defaultGroupLassoMu(Y, S, 4)).toBeCloseTo(2 * (1 + Math.sqrt(2 * Math.log(2))), 12);
    expect(defaultGroupLassoMu(Y, S, 0)).toBeCloseTo(1e-3, 15);
  });
});
