import { describe, expect, it } from 'vitest';
import { createRng, rngFromState } from './rng.js';

describe('createRng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = createRng(42);
    const b = createRng('42');
    const c = createRng(43);
    const xa = Array.from({ length: 5 }, () => a.uniform());
    const xb = Array.from({ length: 5 }, () => b.uniform());
    const xc = Array.from({ length: 5 }, () => c.uniform());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('has the right moments for uniform, normal, gamma and beta', () => {
    const r = createRng(1);
    const n = 40000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    let sg = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      sg += r.gamma(2.5);
      sb += r.beta(2, 6);
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
    expect(sg / n).toBeCloseTo(2.5, 1);
    expect(sb / n).toBeCloseTo(0.25, 2);
  });

  it('forks independent streams that do not depend on the parent position', () => {
    const a = createRng(7);
    const f1 = a.fork('aug').uniform();
    a.uniform();
    a.uniform();
    const f2 = a.fork('aug').uniform();
    expect(f1).toBe(f2);
    expect(a.fork('aug').uniform()).not.toBe(a.fork('init').uniform());
  });

  it('round-trips its state', () => {
    const a = createRng(3);
    a.normal();
    const s = a.getState();
    const next = [a.normal(), a.uniform(), a.int(10)];
    const b = rngFromState(JSON.parse(JSON.stringify(s)));
    expect([b.normal(), b.uniform(), b.int(10)]).toEqual(next);
  });

  it('permutes and shuffles', () => {
    const r = createRng(5);
    const p = Array.from(r.permutation(100)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(() => r.int(0)).toThrow(/positive integer/);
  });
});
