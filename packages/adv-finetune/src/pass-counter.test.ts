/**
 * PassCounter: passes booked per category (examples × passes per example), the derived totals
 * adversarial = attack + update and total = natural + adversarial (forward-only and evaluation passes apart),
 * snapshot/restore for checkpoints, and typed errors.
 */
import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { PassCounter, type PassKind } from './pass-counter.js';

describe('PassCounter', () => {
  it('PGD-AT with K = 7 on 128 examples costs (K + 1)·128 training passes; evaluation is counted apart', () => {
    const c = new PassCounter();
    c.add('adversarialAttack', 128, 7);
    c.add('adversarialUpdate', 128);
    c.add('evalAttack', 50, 20);
    c.add('forwardOnly', 50, 3);
    expect(c.adversarial).toBe(8 * 128);
    expect(c.total).toBe(8 * 128);
    c.add('natural', 1000);
    expect(c.total).toBe(1000 + 8 * 128);
    expect(c.snapshot()).toEqual({
      natural: 1000,
      adversarialAttack: 896,
      adversarialUpdate: 128,
      evalAttack: 1000,
      forwardOnly: 150,
      adversarial: 1024,
      total: 2024,
    });
  });

  it('is additive: any split of the same work gives the same counts (seeded property)', () => {
    const kinds: PassKind[] = ['natural', 'adversarialAttack', 'adversarialUpdate', 'evalAttack', 'forwardOnly'];
    let s = 7;
    const next = (m: number) => {
      s = (s * 48271) % 2147483647;
      return s % m;
    };
    for (let trial = 0; trial < 20; trial++) {
      const a = new PassCounter();
      const b = new PassCounter();
      for (let i = 0; i < 30; i++) {
        const kind = kinds[next(kinds.length)];
        const n = next(64);
        const p = 1 + next(10);
        a.add(kind, n, p);
        for (let k = 0; k < p; k++) b.add(kind, n);
      }
      expect(b.snapshot()).toEqual(a.snapshot());
      const snap = a.snapshot();
      expect(snap.total).toBe(snap.natural + snap.adversarialAttack + snap.adversarialUpdate);
    }
  });

  it('snapshot/restore round-trips (missing keys restore as 0)', () => {
    const a = new PassCounter();
    a.add('natural', 3, 2);
    a.add('adversarialUpdate', 5);
    const b = new PassCounter();
    b.add('evalAttack', 9);
    b.restore(a.snapshot());
    expect(b.snapshot()).toEqual(a.snapshot());
    b.restore({ natural: 4 });
    expect(b.snapshot()).toMatchObject({ natural: 4, adversarialUpdate: 0, evalAttack: 0, total: 4 });
  });

  it('rejects unknown kinds and negative or non-finite counts', () => {
    const c = new PassCounter();
    expect(() => c.add('update' as PassKind, 1)).toThrow(InvalidArgumentError);
    expect(() => c.add('update' as PassKind, 1)).toThrow(/unknown kind 'update'/);
    expect(() => c.add('natural', -1)).toThrow(/passes must be a finite number >= 0, got -1/);
    expect(() => c.add('natural', 1, Number.NaN)).toThrow(InvalidArgumentError);
    expect(c.total).toBe(0);
  });
});
