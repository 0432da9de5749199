/**
 * Activity detection (module 3 of Shao et al., arXiv 2012.13523, as reconstructed in the spec): either from posterior
 * activity probabilities, â_n = 1[π_n ≥ threshold] (default 0.5, the MAP decision), or by an energy test on an
 * estimate, â_n = 1[‖x̂_n‖²/c ≥ γ_th] with c the number of columns; γ_th should be chosen on validation data
 * (`chooseThreshold`), e.g. for minimum activity error rate.
 */
import { InvalidArgumentError } from '@ft/core';
import type { CMat } from './host-complex.js';

/**
 * Detects active devices from posteriors `pi` [N] (or [count·N]) or from the row energies of an estimate `X` [N, c].
 * @returns 0/1 activity of the same length as `pi`, or N for `X`
 */
export function detectActivity(
  o: { pi: ArrayLike<number>; threshold?: number } | { X: CMat; energyThreshold: number },
): Uint8Array {
  if ('pi' in o) {
    const th = o.threshold ?? 0.5;
    return Uint8Array.from(o.pi, (p) => (p >= th ? 1 : 0));
  }
  const { X, energyThreshold } = o;
  if (!(energyThreshold >= 0))
    throw new InvalidArgumentError(`detectActivity: energyThreshold must be ≥ 0, got ${energyThreshold}`);
  const out = new Uint8Array(X.rows);
  for (let n = 0; n < X.rows; n++) {
    let e = 0;
    for (let m = 0; m < X.cols; m++) e += X.re[n * X.cols + m] ** 2 + X.im[n * X.cols + m] ** 2;
    out[n] = e / X.cols >= energyThreshold ? 1 : 0;
  }
  return out;
}
