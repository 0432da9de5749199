/**
 * Normalised mean squared error in decibels, as a ratio of sums over the whole batch:
 * NMSE_dB = 10·log10( Σ‖x̂ − x‖² / Σ‖x‖² ).
 * Ratio-of-sums (not the mean of per-sample ratios) stays finite when some samples are all-zero, e.g. JADCE
 * realisations with no active device (see the jadce spec). Complex signals are given as `{re, im}` pairs; their
 * squared modulus is summed.
 */
import { InvalidArgumentError, type NumericInput } from '@ft/core';
import { checkFinite, checkNonEmpty, checkSameLength, isTensor, toFloat64 } from '@ft/core/internal';

/** A complex signal as real and imaginary parts (arrays or tensors), as `CTensor` in `complex-tensor.ts`. */
export interface ComplexInput {
  re: NumericInput;
  im: NumericInput;
}

function isComplex(x: unknown): x is ComplexInput {
  return typeof x === 'object' && x !== null && !isTensor(x) && 're' in x && 'im' in x;
}

function flatten(x: NumericInput | ComplexInput, name: string): Float64Array {
  if (!isComplex(x)) return toFloat64(x, name);
  const re = toFloat64(x.re, `${name}.re`);
  const im = toFloat64(x.im, `${name}.im`);
  checkSameLength(re, `${name}.re`, im, `${name}.im`);
  const out = new Float64Array(re.length * 2);
  out.set(re, 0);
  out.set(im, re.length);
  return out;
}

/**
 * NMSE in dB over the batch: 10·log10(Σ(x̂ − x)² / Σx²), accumulated in Float64. Shapes are flattened; both
 * arguments must have the same number of entries and both be real or both complex (`{re, im}`).
 * Throws `InvalidArgumentError` when Σx² = 0 or values are not finite, `ShapeError` on a size mismatch.
 * A perfect estimate gives −Infinity.
 * @param xHat estimate.
 * @param x reference.
 */
export function nmseDb(xHat: NumericInput | ComplexInput, x: NumericInput | ComplexInput): number {
  if (isComplex(xHat) !== isComplex(x)) {
    throw new InvalidArgumentError('xHat and x must both be real or both be complex ({re, im})', {
      parameters: ['xHat', 'x'],
    });
  }
  const a = flatten(xHat, 'xHat');
  const b = flatten(x, 'x');
  checkSameLength(a, 'xHat', b, 'x');
  checkNonEmpty(b, 'x');
  checkFinite(a, 'xHat');
  checkFinite(b, 'x');
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  if (den === 0) {
    throw new InvalidArgumentError('nmseDb is undefined: the reference x is all zeros (Σx² = 0)', { parameter: 'x' });
  }
  return 10 * Math.log10(num / den);
}
