import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { FloatDistribution } from '../distributions.js';
import { HyperbandPruner } from '../pruners/successive-halving.js';
import { InMemoryStorage } from '../storage.js';
import { createStudy, loadStudy, type Trial } from '../study.js';
import { GridSampler } from './grid.js';
import { RandomSampler, sampleUniform } from './random.js';
import { defaultGamma, intersectionSearchSpace, splitTrials, TPESampler } from './tpe.js';

const mixed = (t: Trial): number => {
  const x = t.suggestFloat('x', -5, 5);
  const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
  const q = t.suggestFloat('q', 0, 1, { step: 0.25 });
  const n = t.suggestInt('n', 2, 32, { log: true });
  const k = t.suggestInt('k', 0, 10, { step: 5 });
  const c = t.suggestCategorical('c', ['a', 'b', 'c']);
  return x * x + Math.abs(Math.log10(lr) + 3) + q + n / 32 + k + (c === 'b' ? 0 : 1);
};

describe('RandomSampler', () => {
  it('draws inside every distribution and on every grid, deterministically per (seed, trial, name)', async () => {
    const a = await createStudy({ sampler: new RandomSampler({ seed: 9 }) });
    await a.optimize(mixed, { nTrials: 200 });
    for (const { params: p } of a.trials) {
      expect(p.x as number).toBeGreaterThanOrEqual(-5);
      expect(p.x as number).toBeLessThanOrEqual(5);
      expect(p.lr as number).toBeGreaterThanOrEqual(1e-5);
      expect(p.lr as number).toBeLessThanOrEqual(1);
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(p.q);
      expect(Number.isInteger(p.n) && (p.n as number) >= 2 && (p.n as number) <= 32).toBe(true);
      expect([0, 5, 10]).toContain(p.k);
    }
    // Log-uniform: about half of lr lies below 10^-2.5 (the geometric middle of [1e-5, 1]).
    const low = a.trials.filter((t) => (t.params.lr as number) < 10 ** -2.5).length;
    expect(low).toBeGreaterThan(70);
    expect(low).toBeLessThan(130);
    // Every grid value of q and every choice is drawn; end points of stepped values get a full cell.
    for (const v of [0, 0.25, 0.5, 0.75, 1]) expect(a.trials.some((t) => t.params.q === v)).toBe(true);
    const b = await createStudy({ sampler: new RandomSampler({ seed: 9 }) });
    await b.optimize(mixed, { nTrials: 20 });
    expect(b.trials.map((t) => t.params)).toEqual(a.trials.slice(0, 20).map((t) => t.params));
  });
});

describe('GridSampler', () => {
  it('runs every point once in a seeded order, then stops the study', async () => {
    const space = { a: [1, 2], b: ['x', 'y', 'z'] };
    const study = await createStudy({ sampler: new GridSampler(space, { seed: 1 }) });
    await study.optimize(
      (t) =>
        (t.suggestInt('a', 1, 2) === 1 ? 0 : 1) + ['x', 'y', 'z'].indexOf(t.suggestCategorical('b', ['x', 'y', 'z'])),
      {
        nTrials: 100,
      },
    );
    expect(study.trials).toHaveLength(6);
    const keys = study.trials.map((t) => `${t.params.a}${t.params.b}`);
    expect(new Set(keys).size).toBe(6);
    const other = await createStudy({ sampler: new GridSampler(space, { seed: 2 }) });
    await other.optimize((t) => t.suggestInt('a', 1, 2) + t.suggestCategorical('b', ['x', 'y', 'z']).length, {
      nTrials: 6,
    });
    expect(other.trials.map((t) => `${t.params.a}${t.params.b}`)).not.toEqual(keys);
    expect(study.bestParams).toEqual({ a: 1, b: 'x' });
  });

  it('resumes where a study stopped, and rejects parameters outside the grid', async () => {
    const storage = new InMemoryStorage();
    const space = { lr: [0.1, 0.01, 0.001], bs: [16, 32] };
    const s1 = await createStudy({ storage, studyName: 'g', sampler: new GridSampler(space) });
    const obj = (t: Trial) => t.suggestCategorical('lr', [0.1, 0.01, 0.001]) * t.suggestInt('bs', 16, 32, { step: 16 });
    await s1.optimize(obj, { nTrials: 4 });
    const s2 = await loadStudy({ storage, studyName: 'g', sampler: new GridSampler(space) });
    await s2.optimize(obj, { nTrials: 10 });
    expect(s2.trials).toHaveLength(6);
    expect(new Set(s2.trials.map((t) => `${t.params.lr}/${t.params.bs}`)).size).toBe(6);
    const s3 = await createStudy({ sampler: new GridSampler({ a: [5] }) });
    await s3.optimize((t) => t.suggestFloat('b', 0, 1), { nTrials: 1 });
    expect(s3.trials[0]?.systemAttrs.fail_reason).toMatch(/not in the search space/);
    const s4 = await createStudy({ sampler: new GridSampler({ a: [5] }) });
    await s4.optimize((t) => t.suggestFloat('a', 0, 1), { nTrials: 1 });
    expect(s4.trials[0]?.systemAttrs.fail_reason).toMatch(/outside the suggested distribution/);
    expect(() => new GridSampler({ a: [] })).toThrow(InvalidArgumentError);
    expect(() => new GridSampler({ a: [{}] as never })).toThrow(InvalidArgumentError);
  });
});

describe('TPESampler', () => {
  it("has Optuna's γ and validates its options", () => {
    expect([1, 10, 11, 100, 249, 250, 1000].map(defaultGamma)).toEqual([1, 1, 2, 10, 25, 25, 25]);
    expect(() => new TPESampler({ nEICandidates: 0 })).toThrow(InvalidArgumentError);
    expect(() => new TPESampler({ nStartupTrials: -1 })).toThrow(InvalidArgumentError);
    expect(() => new TPESampler({ priorWeight: 0 })).toThrow(InvalidArgumentError);
  });

  it('ranks complete trials by value, then pruned ones by later step and better last value', async () => {
    const study = await createStudy({ sampler: new RandomSampler() });
    const tellPruned = async (values: number[]) => {
      const t = await study.ask();
      values.forEach((v, i) => {
        t.report(v, i);
      });
      await study.tell(t, { state: 'pruned' });
    };
    await study.tell(await study.ask(), 3); // 0
    await tellPruned([5]); // 1: step 0
    await study.tell(await study.ask(), 1); // 2
    await tellPruned([9, 8]); // 3: step 1 → ranks before trial 1
    await tellPruned([]); // 4: no report → last
    await tellPruned([9, 7]); // 5: step 1, better than 3
    const [below, above] = splitTrials(study.trials, 4, 'minimize');
    expect(below.map((t) => t.number)).toEqual([0, 2, 3, 5]);
    expect(above.map((t) => t.number)).toEqual([1, 4]);
    expect(splitTrials(study.trials, 1, 'maximize')[0].map((t) => t.number)).toEqual([0]);
  });

  it('is random for the startup trials, then concentrates on good regions; deterministic given the seed', async () => {
    const run = async (seed: number) => {
      const s = await createStudy({ sampler: new TPESampler({ seed }) });
      await s.optimize(mixed, { nTrials: 60 });
      return s;
    };
    const a = await run(3);
    const b = await run(3);
    expect(b.trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
    const c = await run(4);
    expect(c.trials.map((t) => t.params)).not.toEqual(a.trials.map((t) => t.params));
    // After the 10 startup trials, TPE prefers the best choice 'b' and small k (both worth ≥ 1 each).
    const late = a.trials.slice(30);
    expect(late.filter((t) => t.params.c === 'b').length).toBeGreaterThan(15);
    expect(late.filter((t) => t.params.k === 0).length).toBeGreaterThan(15);
    for (const t of a.trials) {
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(t.params.q);
      expect([0, 5, 10]).toContain(t.params.k);
      expect(Number.isInteger(t.params.n)).toBe(true);
    }
  });

  it('handles a parameter that appears only in some trials (define-by-run)', async () => {
    const s = await createStudy({ sampler: new TPESampler({ seed: 1, nStartupTrials: 5 }) });
    await s.optimize(
      (t) => {
        const kind = t.suggestCategorical('kind', ['lin', 'quad']);
        return kind === 'lin' ? 1 + t.suggestFloat('a', 0, 1) : t.suggestFloat('b', -1, 1) ** 2;
      },
      { nTrials: 40 },
    );
    expect(s.trials.every((t) => t.state === 'complete')).toBe(true);
    expect(s.bestValue).toBeLessThan(0.05);
  });

  it('multivariate: samples the intersection search space jointly, the rest independently; deterministic', async () => {
    const objective = (t: Trial) => {
      const x = t.suggestFloat('x', -5, 5);
      const y = t.suggestFloat('y', -5, 5);
      // 'z' exists only in some trials, so it stays outside the intersection search space.
      const z = x > 0 ? t.suggestFloat('z', 0, 1) : 0;
      return (x - y) ** 2 + (x + y - 2) ** 2 + z;
    };
    const run = async () => {
      const s = await createStudy({ sampler: new TPESampler({ seed: 5, multivariate: true }) });
      await s.optimize(objective, { nTrials: 50 });
      return s;
    };
    const a = await run();
    expect((await run()).trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
    expect(Object.keys(intersectionSearchSpace(a.trials))).toEqual(['x', 'y']);
    const sampler = new TPESampler({ seed: 5, multivariate: true });
    const view = { ...a.view, getTrials: a.view.getTrials };
    const next = await a.ask();
    const frozen = a.trials[next.number] as (typeof a.trials)[number];
    expect(Object.keys(sampler.inferRelativeSearchSpace(view, frozen))).toEqual(['x', 'y']);
    const joint = sampler.sampleRelative(view, frozen, sampler.inferRelativeSearchSpace(view, frozen));
    expect(Object.keys(joint)).toEqual(['x', 'y']);
    // The joint proposal is the one the trial uses.
    expect(next.suggestFloat('x', -5, 5)).toBe(joint.x);
    expect(a.bestValue).toBeLessThan(0.5);
    // Independent TPE ignores the option's relative hooks.
    expect(new TPESampler().inferRelativeSearchSpace(view, frozen)).toEqual({});
  });

  it("uses only the trial's Hyperband bracket as history, as Optuna does", async () => {
    const pruner = new HyperbandPruner({ minResource: 1, maxResource: 27 });
    // Brackets of trials 0..10 in study 'hb' (from Python's binascii.crc32): 0 1 1 0 1 0 0 1 0 1 3.
    const study = await createStudy({ studyName: 'hb', pruner, sampler: new RandomSampler() });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 10 });
    const next = await study.ask();
    const frozen = study.trials[10] as (typeof study.trials)[number];
    expect(pruner.bracketView(study.view, frozen).getTrials()).toEqual([frozen]);
    expect(
      pruner
        .bracketView(study.view, study.trials[1] as typeof frozen)
        .getTrials()
        .map((t) => t.number),
    ).toEqual([1, 2, 4, 7, 9]);
    const dist = new FloatDistribution(0, 1);
    const tpe = new TPESampler({ nStartupTrials: 3 });
    // Trial 10's bracket has no finished trial: TPE is still in its random start-up there.
    expect(tpe.sampleIndependent(study.view, frozen, 'x', dist)).toBe(sampleUniform('tpe:0:10:x', dist));
    const plain = { ...study.view, pruner: undefined };
    expect(tpe.sampleIndependent(plain, frozen, 'x', dist)).not.toBe(sampleUniform('tpe:0:10:x', dist));
    await study.tell(next, 0.5);
  });
});
