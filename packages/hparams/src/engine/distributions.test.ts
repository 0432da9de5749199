import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  CategoricalDistribution,
  checkDistributionCompatibility,
  DistributionConflictError,
  distributionFromJson,
  distributionsEqual,
  distributionToJson,
  FloatDistribution,
  IntDistribution,
} from './distributions.js';

describe('FloatDistribution', () => {
  it('validates its options with typed errors', () => {
    expect(() => new FloatDistribution(2, 1)).toThrow(InvalidArgumentError);
    expect(() => new FloatDistribution(0, 1, { log: true })).toThrow(/> 0 with log/);
    expect(() => new FloatDistribution(0.1, 1, { log: true, step: 0.1 })).toThrow(/step and log/);
    expect(() => new FloatDistribution(0, 1, { step: 0 })).toThrow(/step must be > 0/);
    expect(() => new FloatDistribution(Number.NaN, 1)).toThrow(InvalidArgumentError);
  });
  it('adjusts high down to the step grid as Optuna does, and keeps decimal steps exact', () => {
    expect(new FloatDistribution(0, 1, { step: 0.3 }).high).toBeCloseTo(0.9, 12);
    expect(new FloatDistribution(0, 1, { step: 0.1 }).high).toBe(1);
    expect(new FloatDistribution(0.1, 0.7, { step: 0.2 }).high).toBe(0.7);
  });
  it('checks membership on the grid', () => {
    const d = new FloatDistribution(0, 1, { step: 0.25 });
    expect(d.contains(0.5)).toBe(true);
    expect(d.contains(0.6)).toBe(false);
    expect(d.contains(1.25)).toBe(false);
    expect(d.single()).toBe(false);
    expect(new FloatDistribution(0, 0.2, { step: 0.25 }).single()).toBe(true);
    expect(d.toInternalRepr(0.5)).toBe(0.5);
    expect(() => d.toInternalRepr('a')).toThrow(InvalidArgumentError);
  });
});

describe('IntDistribution', () => {
  it('validates and adjusts high', () => {
    expect(new IntDistribution(0, 10, { step: 3 }).high).toBe(9);
    expect(() => new IntDistribution(0, 10, { log: true })).toThrow(/>= 1 with log/);
    expect(() => new IntDistribution(1, 10, { log: true, step: 2 })).toThrow(/step must be 1/);
    expect(() => new IntDistribution(0.5, 10)).toThrow(InvalidArgumentError);
    expect(() => new IntDistribution(5, 1)).toThrow(InvalidArgumentError);
  });
  it('has integer membership on the step grid', () => {
    const d = new IntDistribution(1, 9, { step: 2 });
    expect([1, 3, 9].map((v) => d.contains(v))).toEqual([true, true, true]);
    expect([2, 0, 11, 3.5].map((v) => d.contains(v))).toEqual([false, false, false, false]);
    expect(d.toExternalRepr(3.0000001)).toBe(3);
  });
});

describe('CategoricalDistribution', () => {
  it('uses the choice index as the internal representation', () => {
    const d = new CategoricalDistribution(['a', 1, null, true, Number.NaN]);
    expect(d.toInternalRepr('a')).toBe(0);
    expect(d.toInternalRepr(null)).toBe(2);
    expect(d.toInternalRepr(Number.NaN)).toBe(4);
    expect(d.toExternalRepr(3)).toBe(true);
    expect(() => d.toInternalRepr('b')).toThrow(InvalidArgumentError);
    expect(() => d.toExternalRepr(5)).toThrow(InvalidArgumentError);
  });
  it('rejects choices a storage cannot hold, and empty choices', () => {
    expect(() => new CategoricalDistribution([{ a: 1 }] as never)).toThrow(/cannot be stored/);
    expect(() => new CategoricalDistribution([undefined] as never)).toThrow(InvalidArgumentError);
    expect(() => new CategoricalDistribution([])).toThrow(InvalidArgumentError);
  });
});

describe('compatibility and JSON', () => {
  it('allows new numeric bounds but not a new kind, log flag or choices', () => {
    expect(() =>
      checkDistributionCompatibility('x', new FloatDistribution(0, 1), new FloatDistribution(-1, 2)),
    ).not.toThrow();
    expect(() => checkDistributionCompatibility('x', new FloatDistribution(0, 1), new IntDistribution(0, 1))).toThrow(
      DistributionConflictError,
    );
    expect(() =>
      checkDistributionCompatibility('x', new FloatDistribution(1, 2), new FloatDistribution(1, 2, { log: true })),
    ).toThrow(DistributionConflictError);
    expect(() =>
      checkDistributionCompatibility('c', new CategoricalDistribution([1, 2]), new CategoricalDistribution([1, 3])),
    ).toThrow(/dynamic value space/);
    // DistributionConflictError is an InvalidArgumentError (code INVALID_ARGUMENT).
    expect(new DistributionConflictError('m')).toBeInstanceOf(InvalidArgumentError);
  });
  it("writes Optuna's distribution_to_json objects and reads them back", () => {
    const f = new FloatDistribution(1e-4, 1, { log: true });
    expect(JSON.stringify(distributionToJson(f))).toBe(
      '{"name":"FloatDistribution","attributes":{"step":null,"low":0.0001,"high":1,"log":true}}',
    );
    expect(JSON.stringify(distributionToJson(new IntDistribution(0, 8, { step: 2 })))).toBe(
      '{"name":"IntDistribution","attributes":{"log":false,"step":2,"low":0,"high":8}}',
    );
    for (const d of [
      f,
      new IntDistribution(1, 64, { log: true }),
      new CategoricalDistribution(['sgd', 'adam', null]),
    ]) {
      expect(distributionsEqual(distributionFromJson(distributionToJson(d)), d)).toBe(true);
    }
    const legacy = distributionFromJson({
      name: 'DiscreteUniformDistribution',
      attributes: { low: 0, high: 1, q: 0.25 },
    });
    expect(legacy).toMatchObject({ kind: 'float', step: 0.25 });
    expect(() => distributionFromJson({ name: 'BetaDistribution', attributes: {} })).toThrow(/unknown distribution/);
  });
});
