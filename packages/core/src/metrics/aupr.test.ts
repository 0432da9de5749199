import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { aupr } from './aupr.js';
import fixtures from './fixtures/sklearn.json';

describe.each(fixtures.binary)('aupr vs sklearn: $name', (c) => {
  it('aupr = average_precision_score', () => {
    expect(Math.abs(aupr(c.labels, c.scores) - c.average_precision_score)).toBeLessThanOrEqual(1e-9);
  });
});

describe('aupr closed forms', () => {
  it('step rule, no interpolation: recall steps times precision at each threshold', () => {
    // thresholds 0.8 (tp 1, fp 0), 0.4 (tp 1, fp 1), 0.35 (tp 2, fp 1), 0.1: AP = 0.5·1 + 0.5·(2/3)
    expect(aupr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.5 + 1 / 3, 15);
  });

  it('one class only throws', () => {
    expect(() => aupr([0, 0], [0.1, 0.2])).toThrow(InvalidArgumentError);
    expect(() => aupr([0, 0], [0.1, 0.2])).toThrow(/AUPR is undefined .* negative/);
  });
});
