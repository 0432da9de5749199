import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FtError, InvalidArgumentError } from '@ft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { journalFileStorage } from '../storage/journal-storage.js';
import { FloatDistribution } from './distributions.js';
import { RandomSampler } from './samplers/random.js';
import { InMemoryStorage, type StudyStorage } from './storage.js';
import { createStudy, loadStudy } from './study.js';
import {
  FAILED_TRIAL_ATTR,
  HEARTBEAT_ATTR,
  LEAKED_TENSORS_ATTR,
  lastHeartbeat,
  RETRY_HISTORY_ATTR,
  retriedTrialNumber,
  retryHistory,
  TrialTensorLeakError,
} from './workers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** A running trial left by a dead worker: params suggested, last heartbeat `ageMs` ago. */
async function deadTrial(storage: StudyStorage, studyId: number, ageMs: number, extra: Record<string, unknown> = {}) {
  const d = new FloatDistribution(0, 1);
  return storage.createNewTrial(studyId, {
    state: 'running',
    params: { x: 0.25 },
    distributions: { x: d },
    userAttrs: { note: 'kept' },
    systemAttrs: { [HEARTBEAT_ATTR]: Date.now() - ageMs, ...extra },
  });
}

describe('heartbeats', () => {
  it('rewrites the heartbeat every intervalMs while optimize runs a trial, and clears its timer', async () => {
    const study = await createStudy({ heartbeat: { intervalMs: 20 }, sampler: new RandomSampler({ seed: 0 }) });
    expect(study.workerOptions.heartbeat).toEqual({ intervalMs: 20, gracePeriodMs: 40 });
    const seen: number[] = [];
    const before = timers();
    await study.optimize(
      async (t) => {
        for (let i = 0; i < 6; i++) {
          seen.push(lastHeartbeat(study.storage.getTrial(t.trialId)) as number);
          await sleep(25);
        }
        return t.suggestFloat('x', 0, 1);
      },
      { nTrials: 2 },
    );
    expect((study as unknown as { heartbeats: Map<number, unknown> }).heartbeats.size).toBe(0);
    expect(timers()).toBeLessThanOrEqual(before);
    // Written at ask (before the objective starts), then rewritten: the first and last of a trial differ.
    expect(seen.every((h) => typeof h === 'number')).toBe(true);
    expect(new Set(seen.slice(0, 6)).size).toBeGreaterThan(2);
    const last = lastHeartbeat(study.trials[0] as never) as number;
    await sleep(60);
    expect(lastHeartbeat(study.trials[0] as never)).toBe(last); // no write after tell
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
  });

  it('beats for an asked trial until tell, and writes nothing without the option', async () => {
    const study = await createStudy({ heartbeat: { intervalMs: 15, gracePeriodMs: 100 } });
    const t = await study.ask();
    const first = lastHeartbeat(study.storage.getTrial(t.trialId)) as number;
    await sleep(60);
    expect(lastHeartbeat(study.storage.getTrial(t.trialId))).toBeGreaterThan(first);
    await study.tell(t, 1);
    const plain = await createStudy();
    const u = await plain.ask();
    expect(plain.storage.getTrial(u.trialId).systemAttrs).toEqual({});
    await plain.tell(u, 1);
  });

  it('checks its options', async () => {
    await expect(createStudy({ heartbeat: { intervalMs: 0 } })).rejects.toThrow(/intervalMs must be a number > 0/);
    await expect(createStudy({ heartbeat: { intervalMs: 100, gracePeriodMs: 50 } })).rejects.toThrow(
      /gracePeriodMs must be a number >= intervalMs/,
    );
    await expect(createStudy({ retryFailedTrials: 2 })).rejects.toThrow(/set heartbeat too/);
    await expect(createStudy({ retryFailedTrials: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStudy({ checkTensorLeaks: 'loud' as never })).rejects.toThrow(/checkTensorLeaks/);
  });
});

describe('stale trials', () => {
  it('fails a trial whose heartbeat is older than the grace period, and retries it with the same params', async () => {
    const storage = new InMemoryStorage();
    const study = await createStudy({
      storage,
      studyName: 's',
      heartbeat: { intervalMs: 50, gracePeriodMs: 200 },
      retryFailedTrials: 1,
      sampler: new RandomSampler({ seed: 1 }),
    });
    const fresh = await deadTrial(storage, study.studyId, 20); // alive: within the grace period
    const noBeat = await storage.createNewTrial(study.studyId); // no heartbeat: never stale (as Optuna)
    const dead = await deadTrial(storage, study.studyId, 1000);
    expect(await study.failStaleTrials()).toEqual([2]);
    expect(storage.getTrial(dead).state).toBe('fail');
    expect(storage.getTrial(fresh).state).toBe('running');
    expect(storage.getTrial(noBeat).state).toBe('running');
    // The retry waits in the queue: same params and user attrs, Optuna's failed_trial and retry_history.
    const [retry] = study.trials.filter((t) => t.state === 'waiting');
    expect(retry?.number).toBe(3);
    expect(retry?.params).toEqual({ x: 0.25 });
    expect(retry?.userAttrs).toEqual({ note: 'kept' });
    expect(retry?.systemAttrs[FAILED_TRIAL_ATTR]).toBe(2);
    expect(retry?.systemAttrs[RETRY_HISTORY_ATTR]).toEqual([2]);
    expect(retry?.systemAttrs[HEARTBEAT_ATTR]).toBeUndefined();
    expect(retriedTrialNumber(retry as never)).toBe(2);
    expect(retryHistory(retry as never)).toEqual([2]);
    expect(retriedTrialNumber(storage.getTrial(dead))).toBeNull();

    // ask runs the retry, whose suggestion returns the failed trial's value.
    const t = await study.ask();
    expect(t.number).toBe(3);
    expect(t.suggestFloat('x', 0, 1)).toBe(0.25);
    await study.tell(t, 0.5);
  });

  it('retries at most retryFailedTrials times, keeping the first failed number and the whole history', async () => {
    const storage = new InMemoryStorage();
    const study = await createStudy({
      storage,
      studyName: 's',
      heartbeat: { intervalMs: 10, gracePeriodMs: 30 },
      retryFailedTrials: 2,
    });
    await deadTrial(storage, study.studyId, 100); // #0
    expect(await study.failStaleTrials()).toEqual([0]);
    // The retry (#1) is claimed by a worker that dies as well, twice.
    for (const [n, history] of [
      [1, [0, 1]],
      [2, null],
    ] as const) {
      const other = await loadStudy({ storage, studyName: 's', heartbeat: { intervalMs: 10, gracePeriodMs: 30 } });
      const claimed = await other.claimWaitingTrial();
      expect(claimed?.number).toBe(n);
      // Simulate its death: its timer stops (a killed process writes nothing), and its heartbeat ages.
      (other as unknown as { stopHeartbeat(id: number): void }).stopHeartbeat(claimed?.trialId as number);
      await sleep(60);
      expect(await study.failStaleTrials()).toEqual([n]);
      const waiting = study.trials.filter((t) => t.state === 'waiting');
      if (history === null) expect(waiting).toEqual([]);
      else {
        expect(waiting[0]?.systemAttrs[FAILED_TRIAL_ATTR]).toBe(0);
        expect(waiting[0]?.systemAttrs[RETRY_HISTORY_ATTR]).toEqual(history);
      }
    }
    expect(study.trials.map((t) => t.state)).toEqual(['fail', 'fail', 'fail']);
    expect(await study.claimWaitingTrial()).toBeNull();
  });

  it('never fails its own live trial, and without heartbeat fails nothing', async () => {
    const storage = new InMemoryStorage();
    const study = await createStudy({ storage, studyName: 's', heartbeat: { intervalMs: 10, gracePeriodMs: 10 } });
    const t = await study.ask();
    await sleep(50); // even if the timer lags, a trial this worker runs is alive
    expect(await study.failStaleTrials()).toEqual([]);
    await study.tell(t, 1);
    const plain = await loadStudy({ storage, studyName: 's' });
    await deadTrial(storage, study.studyId, 10_000);
    expect(await plain.failStaleTrials()).toEqual([]);
  });

  it('optimize goes on when another worker failed its trial meanwhile (a late heartbeat), with a warning', async () => {
    const storage = new InMemoryStorage();
    const study = await createStudy({
      storage,
      heartbeat: { intervalMs: 50 },
      sampler: new RandomSampler({ seed: 0 }),
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      await study.optimize(
        async (t) => {
          // What a worker that judged this trial stale does.
          if (t.number === 0) await storage.setTrialStateValues(t.trialId, 'fail');
          return t.suggestFloat('x', 0, 1);
        },
        { nTrials: 2 },
      );
      await sleep(10);
    } finally {
      process.off('warning', onWarning);
    }
    expect(study.trials.map((t) => t.state)).toEqual(['fail', 'complete']);
    const taken = warnings.filter((w) => (w as Error & { code?: string }).code === 'FT_TRIAL_TAKEN');
    expect(taken.map((w) => w.message)).toEqual([`study '${study.studyName}': trial 0 was finished by another worker`]);
  });

  describe('on one journal file, two workers racing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hparams-stale-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('fail a stale trial once and enqueue one retry', async () => {
      const path = join(dir, 'journal.log');
      const opts = { heartbeat: { intervalMs: 50, gracePeriodMs: 100 }, retryFailedTrials: 3 } as const;
      const a = await createStudy({ storage: journalFileStorage(path), studyName: 'race', ...opts });
      await deadTrial(a.storage, a.studyId, 5000);
      await a.storage.flush?.();
      const b = await loadStudy({ storage: journalFileStorage(path), studyName: 'race', ...opts });
      const [fa, fb] = await Promise.all([a.failStaleTrials(), b.failStaleTrials()]);
      expect([...fa, ...fb]).toEqual([0]);
      await a.storage.sync?.();
      await b.storage.sync?.();
      for (const s of [a, b]) {
        expect(s.trials.map((t) => t.state)).toEqual(['fail', 'waiting']);
        expect(retryHistory(s.trials[1] as never)).toEqual([0]);
      }
      // One of them claims the retry; the other gets nothing and creates no trial.
      const [ca, cb] = await Promise.all([a.claimWaitingTrial(), b.claimWaitingTrial()]);
      expect([ca?.number, cb?.number].filter((n) => n !== undefined)).toEqual([1]);
      const winner = (ca ? a : b) as typeof a;
      await winner.tell((ca ?? cb) as never, 2);
      await a.storage.sync?.();
      expect(a.trials.map((t) => t.state)).toEqual(['fail', 'complete']);
    });
  });
});

describe('tensor leaks', () => {
  const kept: tf.Tensor[] = [];
  afterAll(() => tf.dispose(kept));
  const leaky = (n: number) => (t: { suggestFloat(n: string, a: number, b: number): number }) => {
    const x = t.suggestFloat('x', 0, 1);
    for (let i = 0; i < n; i++) kept.push(tf.scalar(i)); // not disposed by the objective
    return tf.tidy(() => tf.square(tf.scalar(x)).dataSync()[0] as number);
  };

  it("'error' fails a leaking trial with TrialTensorLeakError naming the count, and the study goes on", async () => {
    await tf.setBackend('cpu');
    const study = await createStudy({ checkTensorLeaks: 'error', sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize((t) => (t.number === 1 ? leaky(3)(t) : leaky(0)(t)), { nTrials: 3 });
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'fail', 'complete']);
    expect(study.trials[1]?.systemAttrs.fail_reason).toMatch(
      /^TrialTensorLeakError: trial 1 leaked 3 tensors \(tf\.memory\(\)\.numTensors went from \d+ to \d+\)/,
    );
    expect(study.trials[1]?.systemAttrs[LEAKED_TENSORS_ATTR]).toBe(3);
    expect(study.trials[0]?.systemAttrs[LEAKED_TENSORS_ATTR]).toBeUndefined();
    const e = new TrialTensorLeakError(4, 10, 12);
    expect(e).toBeInstanceOf(FtError);
    expect(e.code).toBe('TENSOR_LEAK');
    expect(e.details).toEqual({ trial: 4, before: 10, after: 12, leaked: 2 });
  });

  it("'warn' (the default) keeps the trial, records the count and emits an FT_TENSOR_LEAK warning; 'off' is silent", async () => {
    await tf.setBackend('cpu');
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
      expect(study.workerOptions.checkTensorLeaks).toBe('warn');
      await study.optimize(leaky(2), { nTrials: 2 });
      const off = await createStudy({ checkTensorLeaks: 'off' });
      await off.optimize(leaky(2), { nTrials: 1 });
      await sleep(10); // warnings are emitted on the next tick
      expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
      expect(study.trials.map((t) => t.systemAttrs[LEAKED_TENSORS_ATTR])).toEqual([2, 2]);
      expect(off.trials[0]?.systemAttrs[LEAKED_TENSORS_ATTR]).toBeUndefined();
      const leaks = warnings.filter((w) => (w as Error & { code?: string }).code === 'FT_TENSOR_LEAK');
      expect(leaks.map((w) => w.message.slice(0, 24))).toEqual([
        'trial 0 leaked 2 tensors',
        'trial 1 leaked 2 tensors',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
