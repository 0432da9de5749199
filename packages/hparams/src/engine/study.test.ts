import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AbortedError, InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { DistributionConflictError } from './distributions.js';
import { MedianPruner } from './pruners/percentile.js';
import { RandomSampler } from './samplers/random.js';
import { InMemoryStorage } from './storage.js';
import { createStudy, loadStudy, TrialPruned } from './study.js';

describe('Study.optimize', () => {
  it('runs nTrials trials and tracks the best one', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', -10, 10);
        const n = t.suggestInt('n', 1, 4);
        const c = t.suggestCategorical('c', ['a', 'b']);
        return (x - 2) ** 2 + n + (c === 'a' ? 0 : 1);
      },
      { nTrials: 30 },
    );
    expect(study.trials).toHaveLength(30);
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
    const values = study.trials.map((t) => t.value as number);
    expect(study.bestValue).toBe(Math.min(...values));
    expect(study.bestTrial.params).toEqual(study.bestParams);
    expect(study.trials.map((t) => t.number)).toEqual([...Array(30).keys()]);
  });

  it('maximises when asked', async () => {
    const study = await createStudy({ direction: 'maximize', sampler: new RandomSampler({ seed: 2 }) });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 10 });
    expect(study.bestValue).toBe(Math.max(...study.trials.map((t) => t.value as number)));
  });

  it('fails a trial whose objective throws or returns NaN, and goes on', async () => {
    const study = await createStudy({ sampler: new RandomSampler() });
    await study.optimize(
      (t) => {
        if (t.number === 1) throw new Error('boom');
        if (t.number === 2) return Number.NaN;
        return t.suggestFloat('x', 0, 1);
      },
      { nTrials: 4 },
    );
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'fail', 'fail', 'complete']);
    expect(study.trials[1]?.systemAttrs.fail_reason).toBe('Error: boom');
    expect(study.trials[2]?.systemAttrs.fail_reason).toMatch(/NaN/);
  });

  it('ends a trial as pruned on TrialPruned, with its last reported value', async () => {
    const study = await createStudy({ sampler: new RandomSampler(), pruner: new MedianPruner({ nStartupTrials: 2 }) });
    await study.optimize(
      (t) => {
        const bad = t.number >= 2;
        for (let step = 0; step < 3; step++) {
          t.report(bad ? 10 + step : step, step);
          if (t.shouldPrune()) throw new TrialPruned();
        }
        return 0;
      },
      { nTrials: 3 },
    );
    const last = study.trials[2];
    expect(last?.state).toBe('pruned');
    expect(last?.value).toBe(10);
    expect([...(last?.intermediateValues.keys() ?? [])]).toEqual([0]);
  });

  it("prunes on another copy's TrialPruned (the Symbol.for brand), not on a look-alike error", async () => {
    // An objective module may resolve its own copy of @ft/hparams: its TrialPruned is another class with the brand.
    class ForeignTrialPruned extends Error {
      constructor() {
        super('pruned by another copy');
        this.name = 'TrialPruned';
        Object.defineProperty(this, Symbol.for('@ft/hparams.TrialPruned'), { value: true });
      }
    }
    const lookAlike = Object.assign(new Error('not a prune'), { name: 'TrialPruned' });
    expect(new ForeignTrialPruned()).toBeInstanceOf(TrialPruned);
    expect(lookAlike instanceof TrialPruned).toBe(false);
    const study = await createStudy({ sampler: new RandomSampler() });
    await study.optimize(
      (t) => {
        if (t.number === 0) throw new ForeignTrialPruned();
        throw lookAlike;
      },
      { nTrials: 2 },
    );
    expect(study.trials.map((t) => t.state)).toEqual(['pruned', 'fail']);
  });

  it('stops on timeoutMs and rejects with AbortedError on an aborted signal', async () => {
    const study = await createStudy({ sampler: new RandomSampler() });
    await study.optimize(
      async (t) => {
        await new Promise((r) => setTimeout(r, 20));
        return t.number;
      },
      { timeoutMs: 50 },
    );
    expect(study.trials.length).toBeGreaterThanOrEqual(1);
    expect(study.trials.length).toBeLessThan(10);
    const ac = new AbortController();
    const p = study.optimize(
      (t) => {
        if (t.number === study.trials.length - 1) ac.abort();
        return 1;
      },
      { nTrials: 100, signal: ac.signal },
    );
    await expect(p).rejects.toBeInstanceOf(AbortedError);
  });

  it('validates its options', async () => {
    const study = await createStudy();
    await expect(study.optimize((() => 1) as never, { nTrials: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(study.optimize('f' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStudy({ direction: 'up' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => study.bestTrial).toThrow(/no complete trial/);
  });
});

describe('Trial', () => {
  it('returns the same value for a re-suggested name and throws on another distribution', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 5 }) });
    const t = await study.ask();
    const a = t.suggestFloat('lr', 1e-4, 1, { log: true });
    expect(t.suggestFloat('lr', 1e-4, 1, { log: true })).toBe(a);
    expect(() => t.suggestFloat('lr', 1e-4, 1)).toThrow(DistributionConflictError);
    expect(() => t.suggestInt('lr', 1, 3)).toThrow(DistributionConflictError);
    expect(a).toBeGreaterThanOrEqual(1e-4);
    expect(a).toBeLessThanOrEqual(1);
    expect(t.params).toEqual({ lr: a });
    await study.tell(t, a);
    // A later trial may not change the kind or log flag of a parameter, but may change its bounds.
    const u = await study.ask();
    expect(() => u.suggestFloat('lr', 1e-4, 1)).toThrow(DistributionConflictError);
    expect(u.suggestFloat('lr', 1e-3, 0.1, { log: true })).toBeLessThanOrEqual(0.1);
  });

  it('rejects bad arguments with typed errors', async () => {
    const study = await createStudy();
    const t = await study.ask();
    expect(() => t.suggestFloat('x', 1, 0)).toThrow(InvalidArgumentError);
    expect(() => t.suggestInt('n', 0, 10, { log: true })).toThrow(InvalidArgumentError);
    expect(() => t.suggestCategorical('c', [{}] as never)).toThrow(/cannot be stored/);
    expect(() => t.report(1, -1)).toThrow(InvalidArgumentError);
    t.setUserAttr('note', { a: 1 });
    expect(t.userAttrs).toEqual({ note: { a: 1 } });
    expect(t.suggestInt('one', 3, 3)).toBe(3);
    await study.tell(t, { state: 'fail' });
    expect(() => t.suggestFloat('y', 0, 1)).toThrow(/fail/);
    await expect(study.tell(t, 1)).rejects.toThrow(/already finished/);
  });
});

describe('ask / tell / enqueueTrial', () => {
  it('runs enqueued trials first with their fixed parameters', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
    await study.enqueueTrial({ x: 0.25, opt: 'adam' });
    await study.enqueueTrial({ x: 0.75 });
    await study.optimize(
      (t) => t.suggestFloat('x', 0, 1) + (t.suggestCategorical('opt', ['sgd', 'adam']) === 'adam' ? 0 : 1),
      {
        nTrials: 3,
      },
    );
    const [a, b, c] = study.trials;
    expect(a?.params).toEqual({ x: 0.25, opt: 'adam' });
    expect(b?.params.x).toBe(0.75);
    expect(c?.state).toBe('complete');
    await study.enqueueTrial({ x: 2 });
    const t = await study.ask();
    expect(() => t.suggestFloat('x', 0, 1)).toThrow(/outside its distribution/);
  });

  it('tells values and states by trial or number, and loadStudy sees the trials', async () => {
    const storage = new InMemoryStorage();
    const study = await createStudy({ storage, studyName: 's', direction: 'maximize' });
    const t0 = await study.ask();
    const t1 = await study.ask();
    t1.report(0.3, 0);
    await study.tell(t0.number, 0.9);
    const pruned = await study.tell(t1, { state: 'pruned' });
    expect(pruned.value).toBe(0.3);
    await expect(study.tell(await study.ask(), { state: 'complete' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStudy({ storage, studyName: 's' })).rejects.toThrow(/already exists/);
    const again = await loadStudy({ storage, studyName: 's' });
    expect(again.direction).toBe('maximize');
    expect(again.bestValue).toBe(0.9);
    expect((await createStudy({ storage, studyName: 's', loadIfExists: true })).trials).toHaveLength(3);
    await expect(loadStudy({ storage, studyName: 'nope' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('memory', () => {
  it('a trial running a tidy tfjs computation leaves tf.memory().numTensors as it found it', async () => {
    await tf.setBackend('cpu');
    const study = await createStudy({ sampler: new RandomSampler({ seed: 4 }) });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await study.optimize(
      (t) => {
        const w = t.suggestFloat('w', -1, 1);
        const loss = tf.tidy(() => tf.sum(tf.square(tf.sub(tf.tensor1d([1, 2, 3]), w))));
        const v = loss.dataSync()[0] as number;
        loss.dispose();
        counts.push(tf.memory().numTensors);
        return v;
      },
      { nTrials: 5 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(counts.every((c) => c === before)).toBe(true);
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
  });
});

describe('trialsDataFrame', () => {
  it("gives Optuna's flat columns, null where a trial lacks a parameter", async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    await study.enqueueTrial({ x: 0.5 });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        if (t.number === 1) {
          t.setUserAttr('note', 'second');
          throw new TrialPruned();
        }
        return x;
      },
      { nTrials: 2 },
    );
    const rows = study.trialsDataFrame();
    expect(rows.map((r) => Object.keys(r))).toEqual([
      ['number', 'value', 'datetime_start', 'datetime_complete', 'duration', 'params_x', 'user_attrs_note', 'state'],
      ['number', 'value', 'datetime_start', 'datetime_complete', 'duration', 'params_x', 'user_attrs_note', 'state'],
    ]);
    expect(rows[0]).toMatchObject({ number: 0, value: 0.5, params_x: 0.5, user_attrs_note: null, state: 'COMPLETE' });
    expect(rows[1]).toMatchObject({ number: 1, value: null, user_attrs_note: 'second', state: 'PRUNED' });
    expect(typeof rows[0]?.duration).toBe('number');
    expect(rows[0]?.datetime_start).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
