// Pure logic of the learning-rate sweep (issue 17, part 2): which epochs get a test score, what one fine-tuning run
// reports (early stop with restore, best validation, last epoch, Spearman ρ, forgetting), the learning rate chosen on
// validation, and the verdict rules. No tensors, no I/O: unit-tested in sweep.test.mjs.
import { meanStd, stats } from '@ft/core';
import { earlyStopEpoch } from '@ft/mahalanobis-ad';

/** The learning-rate grid (Adam). */
export const LR_GRID = [1e-4, 1e-3, 3e-3, 1e-2];

/** A run "forgets" when its test AUROC at the last epoch is this many points below its best scored epoch. */
export const FORGET_POINTS = 1;

/** A gain smaller than this (AUROC points) is too small to matter: a CI below it means "no gain". */
export const MIN_GAIN_POINTS = 0.5;

/** Runs with forgetting below which the tracking claim cannot be decided. */
export const MIN_FORGETTING_RUNS = 5;

/**
 * The epochs whose test AUROC is scored for the curves and ρ: a fixed grid, dense at the start (1e-2 forgets within
 * one epoch), always with 0 (frozen) and the last epoch. Chosen before any run, never from test results.
 * @param {number} epochs trained epochs.
 * @param {number[]} [grid] requested epochs (clipped to [0, epochs]).
 */
export function testEpochGrid(epochs, grid = [0, 1, 2, 3, 5, 8, 12, 17, 23, 30]) {
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new Error(`testEpochGrid: epochs must be an integer ≥ 0, got ${epochs}`);
  return [...new Set([0, ...grid.filter((e) => Number.isInteger(e) && e >= 0 && e <= epochs), epochs])].sort(
    (a, b) => a - b,
  );
}

/**
 * The epochs one run scores on the test set: the fixed grid, plus the two checkpoints a method could return, both
 * picked on validation only: the early stop with `patience` (best validation epoch until `patience` epochs pass without
 * improvement, restored) and the best validation epoch over all epochs.
 * @param {{epoch: number, valAUROC: number}[]} history per-epoch validation (epoch 0 = frozen).
 */
export function epochsToScore(history, grid, patience) {
  const es = earlyStopEpoch(history, patience);
  const bv = earlyStopEpoch(history, null);
  return { es, bestVal: bv, epochs: [...new Set([...grid, es, bv])].sort((a, b) => a - b) };
}

/**
 * What one run reports, from its validation history and its test AUROC at the scored epochs.
 * ρ is Spearman's correlation between validation and test over the fixed grid epochs only (the checkpoints added for
 * being best on validation would bias it). `oracle` is the best test AUROC over the scored epochs (a bound, not a
 * method). A run forgets when its last-epoch test AUROC is FORGET_POINTS below that best.
 * @param {{epoch: number, valAUROC: number}[]} history
 * @param {Record<number, number>} testAt test AUROC (fraction) per scored epoch.
 * @param {{grid: number[], patience: number}} o
 */
export function summarizeRun(history, testAt, { grid, patience }) {
  const { es, bestVal } = epochsToScore(history, grid, patience);
  const last = history[history.length - 1].epoch;
  const val = Object.fromEntries(history.map((h) => [h.epoch, h.valAUROC]));
  for (const e of [0, es, bestVal, last, ...grid]) {
    if (!Number.isFinite(testAt[e])) throw new Error(`summarizeRun: no test AUROC at epoch ${e}`);
  }
  const g = grid.filter((e) => e <= last);
  const scored = Object.keys(testAt).map(Number);
  const peakEpoch = scored.reduce((a, e) => (testAt[e] > testAt[a] ? e : a), scored[0]);
  const oracle = testAt[peakEpoch];
  return {
    frozen: testAt[0],
    earlyStopped: testAt[es],
    bestVal: testAt[bestVal],
    last: testAt[last],
    oracle,
    esEpoch: es,
    bestValEpoch: bestVal,
    peakEpoch,
    valAtEs: val[es],
    valAtBest: val[bestVal],
    rho:
      g.length >= 3
        ? stats.spearman(
            g.map((e) => val[e]),
            g.map((e) => testAt[e]),
          )
        : Number.NaN,
    forgets: 100 * (oracle - testAt[last]) >= FORGET_POINTS,
  };
}

/**
 * The learning rate chosen on validation for one (class, seed): the one whose early-stopped checkpoint has the
 * highest validation pseudo-AUROC; ties go to the smaller rate. `edge` says the choice sits on the grid's edge.
 * @param {{lr: number, valAtEs: number}[]} runs one per learning rate.
 */
export function chooseLr(runs, grid = LR_GRID) {
  if (!runs.length) throw new Error('chooseLr: no runs');
  const sorted = [...runs].sort((a, b) => a.lr - b.lr);
  const best = sorted.reduce((a, r) => (r.valAtEs > a.valAtEs ? r : a), sorted[0]);
  const lo = Math.min(...grid);
  const hi = Math.max(...grid);
  return { lr: best.lr, edge: best.lr === lo ? 'low' : best.lr === hi ? 'high' : null, run: best };
}

/** Mean and standard error of the mean of the finite values; sem NaN below 2 values. */
export function meanSem(values) {
  const f = values.filter(Number.isFinite);
  if (f.length < 2) return { mean: f.length ? f[0] : Number.NaN, sem: Number.NaN, n: f.length };
  const ms = meanStd(f);
  return { mean: ms.mean, sem: ms.std / Math.sqrt(f.length), n: f.length };
}

/** +1 when the mean clears two standard errors above 0, −1 below, 0 otherwise (or too few values). */
export function sign2(m) {
  if (!(m.n >= 2) || !Number.isFinite(m.sem)) return 0;
  return m.mean > 2 * m.sem ? 1 : m.mean < -2 * m.sem ? -1 : 0;
}

/**
 * Claim (1): early-stopped fine-tuning, learning rate chosen on validation, beats the frozen features.
 * @param {number[]} deltas per-run AUROC differences in points (fine-tuned − frozen, paired).
 * @returns {{verdict: 'reproduced'|'not'|'inconclusive', why: string, m: object}}
 */
export function gainVerdict(deltas) {
  const m = meanSem(deltas);
  if (m.n < 2) return { verdict: 'inconclusive', why: 'fewer than 2 runs', m };
  const lo = m.mean - 2 * m.sem;
  const hi = m.mean + 2 * m.sem;
  if (lo > 0) return { verdict: 'reproduced', why: 'the gain clears two standard errors', m };
  if (hi < 0) return { verdict: 'not', why: 'fine-tuning is worse by more than two standard errors', m };
  if (hi < MIN_GAIN_POINTS) {
    return { verdict: 'not', why: `the two-standard-error interval excludes a gain of ${MIN_GAIN_POINTS} points`, m };
  }
  return {
    verdict: 'inconclusive',
    why: `the interval [${lo.toFixed(2)}, ${hi.toFixed(2)}] points includes 0 and gains ≥ ${MIN_GAIN_POINTS}`,
    m,
  };
}

/**
 * Claim (2): where forgetting happens, the validation detects its onset: over the runs that forget (all learning
 * rates pooled), ρ(validation, test) > 0 and the early stop ends above the last epoch, each by two standard errors.
 * @param {{rho: number, earlyStopped: number, last: number, forgets: boolean}[]} runs every run of the sweep.
 */
export function trackingVerdict(runs) {
  const forgetting = runs.filter((r) => r.forgets);
  const rho = meanSem(forgetting.map((r) => r.rho));
  const rescue = meanSem(forgetting.map((r) => 100 * (r.earlyStopped - r.last)));
  const base = { n: forgetting.length, rho, rescue };
  if (forgetting.length < MIN_FORGETTING_RUNS) {
    return { verdict: 'inconclusive', why: `only ${forgetting.length} runs forget: nothing to detect`, ...base };
  }
  const a = sign2(rho) > 0;
  const b = sign2(rescue) > 0;
  if (a && b) return { verdict: 'reproduced', why: 'ρ > 0 and the early stop beats the last epoch', ...base };
  if (a || b) {
    return {
      verdict: 'partly',
      why: a
        ? 'ρ > 0, but the early stop does not beat the last epoch'
        : 'the early stop beats the last epoch, but ρ is not > 0',
      ...base,
    };
  }
  if (forgetting.length < 2 * MIN_FORGETTING_RUNS) {
    return { verdict: 'inconclusive', why: `neither holds, on only ${forgetting.length} forgetting runs`, ...base };
  }
  return { verdict: 'not', why: 'neither ρ > 0 nor an early stop above the last epoch', ...base };
}

/** The page's verdict from the two claims' verdicts. */
export function overallVerdict(gain, tracking) {
  const v = [gain, tracking];
  if (v.every((x) => x === 'reproduced')) return 'reproduced';
  if (v.every((x) => x === 'not')) return 'not';
  if (v.every((x) => x === 'inconclusive')) return 'inconclusive';
  if (v.includes('reproduced') || v.includes('partly')) return 'partly';
  // one 'not', one 'inconclusive': what could be decided failed
  return 'not';
}

/** The key of a sweep record (resume: a re-run skips the keys it finds). */
export function runKey(r) {
  return [r.arm, r.dataset, r.seed, r.extra?.lr ?? '', r.extra?.source ?? ''].join('|');
}

/**
 * Projected wall time (seconds) of the full run from measured unit costs, CPU seconds of one single-threaded worker
 * (on an idle core a worker's wall time ≈ its CPU time): the parent's frozen arms and the stronger source's training,
 * then the sweep and the stronger source's fine-tuning shared by `workers` processes.
 * @param {{ epoch: number, epoch0: number, scoring: number, frozenArm: number, features: number, pretrainEpoch: number }} u
 * @param {{ runs: number, epochs: number, scoringsPerRun: number, strongRuns: number, strongEpochs: number,
 *   strongTrainedEpochs: number, frozenArms: number, workers: number }} c
 */
export function projectSeconds(u, c) {
  const sweepRun = u.epoch0 + c.epochs * u.epoch + c.scoringsPerRun * u.scoring;
  const strongRun = u.epoch0 + c.strongTrainedEpochs * u.epoch + 2 * u.scoring;
  const parallel = (c.runs * sweepRun + c.strongRuns * strongRun) / c.workers;
  // a job is not split: the last round can leave a worker idle for up to one run
  const tail = c.workers > 1 ? sweepRun / 2 : 0;
  const serial = c.frozenArms * u.frozenArm + 2 * u.features + c.strongEpochs * u.pretrainEpoch;
  return { sweepRun, strongRun, parallel: parallel + tail, serial, total: parallel + tail + serial };
}
