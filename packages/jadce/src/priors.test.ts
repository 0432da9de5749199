import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { resolvePriors } from './priors.js';
import { simulateMassiveAccess } from './simulate.js';

describe('resolvePriors', () => {
  const d = simulateMassiveAccess({ N: 100, M: 16, L: 20, activity: 0.1, snrDb: 10, count: 200, rng: createRng(5) });
  const noPriors = { ...d, eps: undefined, beta: undefined };

  it('estimates ε from the received energy (β = 1 assumed) close to the realised activity', () => {
    const p = resolvePriors(noPriors);
    let k = 0;
    for (const a of d.active!) k += a;
    expect(Math.abs(p.eps / (k / d.active!.length) - 1)).toBeLessThan(0.05);
    expect(p.source).toEqual({ eps: 'estimated', beta: 'assumed' });
    expect(p.beta.every((b) => b === 1)).toBe(true);
  });

  it('with a known ε, β is one common gain estimated from the energy (≈ 1 for the normalised simulator)', () => {
    const p = resolvePriors(noPriors, { eps: 0.1 });
    expect(p.source).toEqual({ eps: 'flag', beta: 'estimated' });
    expect(Math.abs(p.beta[0] - 1)).toBeLessThan(0.05);
    expect(p.beta.every((b) => b === p.beta[0])).toBe(true);
  });

  it('flags take precedence over the file; the file over estimates', () => {
    const file = resolvePriors({ ...d, eps: 0.2, beta: new Float64Array(100).fill(3) });
    expect(file.eps).toBe(0.2);
    expect(file.beta[0]).toBe(3);
    expect(file.source).toEqual({ eps: 'file', beta: 'file' });
    const flag = resolvePriors({ ...d, eps: 0.2 }, { eps: 0.07, beta: 2 });
    expect(flag.eps).toBe(0.07);
    expect(flag.beta.every((b) => b === 2)).toBe(true);
    expect(flag.source).toEqual({ eps: 'flag', beta: 'flag' });
  });

  it('clips the estimate to [1/(2N), 1] and refuses bad flag values', () => {
    const silent = {
      ...noPriors,
      Y: { ...d.Y, re: new Float64Array(d.Y.re.length), im: new Float64Array(d.Y.im.length) },
    };
    expect(resolvePriors(silent).eps).toBe(1 / 200);
    expect(() => resolvePriors(d, { eps: 0 })).toThrow(/--eps must be in \(0, 1\]/);
    expect(() => resolvePriors(d, { beta: -1 })).toThrow(/--beta must be > 0/);
    expect(() => resolvePriors(d, { beta: new Float64Array(3) })).toThrow(/expected 100 values, got 3/);
  });
});
