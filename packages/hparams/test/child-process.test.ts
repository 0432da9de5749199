import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AbortedError, FtError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ChildTrialError, childProcessObjective } from '../src/engine/child-process.js';
import { DistributionConflictError } from '../src/engine/distributions.js';
import { MedianPruner } from '../src/engine/pruners/percentile.js';
import { TPESampler } from '../src/engine/samplers/tpe.js';
import { createStudy, type Objective } from '../src/engine/study.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/workers/child-objectives.mjs', import.meta.url));
const child = (exportName?: string, opts: Parameters<typeof childProcessObjective>[1] = {}) =>
  childProcessObjective(FIXTURE, { exportName, forwardStderr: false, ...opts });

describe('childProcessObjective', () => {
  it('runs define-by-run trials in child processes exactly as in process (same TPE params and values)', async () => {
    const inProcess = (await import(FIXTURE)).default as Objective;
    const a = await createStudy({ sampler: new TPESampler({ seed: 3, nStartupTrials: 4 }) });
    await a.optimize(inProcess, { nTrials: 7 });
    const b = await createStudy({ sampler: new TPESampler({ seed: 3, nStartupTrials: 4 }) });
    await b.optimize(child(), { nTrials: 7 });
    expect(b.trials.map((t) => t.state)).toEqual(Array(7).fill('complete'));
    expect(b.trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
    expect(new Set(b.trials.map((t) => t.params.c)).size).toBeGreaterThan(1);
    expect(b.trials.map((t) => t.value)).toEqual(a.trials.map((t) => t.value));
    expect(b.trials.map((t) => [...t.intermediateValues])).toEqual(a.trials.map((t) => [...t.intermediateValues]));
    // Each child trial ran in a process of its own.
    expect(a.trials.every((t) => t.userAttrs.pid === process.pid)).toBe(true);
    const pids = new Set(b.trials.map((t) => t.userAttrs.pid));
    expect(pids.size).toBe(7);
    expect(pids.has(process.pid)).toBe(false);
    expect(b.bestValue).toBe(a.bestValue);
  });

  it("maps the child's TrialPruned to a pruned trial (the parent's pruner decides)", async () => {
    const study = await createStudy({ pruner: new MedianPruner({ nStartupTrials: 2 }) });
    await study.optimize(child('prunable'), { nTrials: 4 });
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'pruned', 'pruned']);
    // Pruned at step 0: 10 > median(0, 0) — the value is the last report.
    expect(study.trials[2]?.value).toBe(10);
  });

  it('fails the trial with a ChildTrialError quoting stderr when the child exits, and the study goes on', async () => {
    const study = await createStudy();
    await study.optimize(child('crash'), { nTrials: 2 });
    expect(study.trials.map((t) => t.state)).toEqual(['fail', 'fail']);
    const reason = study.trials[0]?.systemAttrs.fail_reason as string;
    expect(reason).toMatch(/^ChildTrialError: trial 0: the child process exited with code 3 before returning a value/);
    expect(reason).toContain('objective: out of patience, exiting');
    // What it suggested before dying stays on the trial.
    expect(Object.keys(study.trials[0]?.params ?? {})).toEqual(['x']);
  });

  it('rejects with typed errors: a throw, a bad export, a parameter conflict, a timeout', async () => {
    const study = await createStudy();
    const t0 = await study.ask();
    const err = await child('throws')(t0).catch((e) => e);
    expect(err).toBeInstanceOf(ChildTrialError);
    expect(err).toBeInstanceOf(FtError);
    expect(err.code).toBe('TRIAL_CHILD_FAILED');
    expect(err.message).toMatch(
      /trial 0: the objective threw in its child process: RangeError: the objective is out of range/,
    );
    await study.tell(t0, { state: 'fail' });

    const t1 = await study.ask();
    await expect(child('nope')(t1)).rejects.toThrow(/has no function export "nope"/);
    await study.tell(t1, { state: 'fail' });

    const t2 = await study.ask();
    await expect(child('conflict')(t2)).rejects.toBeInstanceOf(DistributionConflictError);
    await study.tell(t2, { state: 'fail' });

    const t3 = await study.ask();
    const slow = await child('hang', { timeoutMs: 300 })(t3).catch((e) => e);
    expect(slow).toBeInstanceOf(ChildTrialError);
    expect(slow.message).toMatch(/ran past 300 ms/);
    await study.tell(t3, { state: 'fail' });
  });

  it('fails a NaN trial as in process', async () => {
    const study = await createStudy();
    await study.optimize(child('nan'), { nTrials: 1 });
    expect(study.trials[0]?.state).toBe('fail');
    expect(study.trials[0]?.systemAttrs.fail_reason).toMatch(/NaN/);
  });

  it('kills the child when the signal aborts', async () => {
    const study = await createStudy();
    const ac = new AbortController();
    const t = await study.ask();
    const started = performance.now();
    setTimeout(() => ac.abort(new Error('enough')), 300);
    await expect(child('hang', { signal: ac.signal })(t)).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(child('hang', { signal: ac.signal })(t)).rejects.toBeInstanceOf(AbortedError);
  });

  it('keeps a leaking objective harmless: the parent tensor count does not move and the trials complete', async () => {
    await tf.setBackend('cpu');
    const study = await createStudy({ checkTensorLeaks: 'error' });
    const before = tf.memory().numTensors;
    await study.optimize(child('leak'), { nTrials: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    // The child did hold its tensors (5 scalars) when it answered.
    expect(study.trials[0]?.userAttrs.childTensors).toBe(5);
    expect(study.trials[0]?.systemAttrs['ft:leaked_tensors']).toBeUndefined();
  });
});
