/**
 * Running the JADCE methods on a data set and scoring them (spec "Metrics"):
 *
 * - NMSE (dB) = 10·log10(Σ‖X̂ − X‖²_F / Σ‖X‖²_F) over the whole set (ratio of sums: realisations with no active device
 *   keep it defined), and the same over the truly active rows only (channel-estimation quality);
 * - P_miss = misses / active, P_FA = false alarms / inactive, AER = (misses + false alarms) / (count·N);
 * - ROC by sweeping the detection threshold over the per-device scores (core `rocCurve`, `auroc`);
 * - runtime per realisation (wall clock of the whole set / count; learned methods run batched).
 *
 * Method names (CLI `--methods`): `oracle` (true support, LS), `oracle-mmse` (true support, LMMSE: the NMSE bound for
 * estimators that also use σ² and β), `amp-mmv`, `em-bg-amp`, `fista`, `admm`, `sbl`, `cov-ml` (host Float64
 * solvers, one realisation at a time) and `lista-gs`, `alista-gs`, `proposed` (learned models, see `learned-models.ts`).
 * Detection-only methods (`cov-ml`, `proposed`) estimate channels by MMSE on the detected set.
 */
import { auroc, InvalidArgumentError } from '@ft/core';
import { ampMmv } from './amp-mmv.js';
import { covarianceMl } from './covariance-ml.js';
import { detectionErrors } from './detection-errors.js';
import { emBgAmp } from './em-bg-amp.js';
import { groupLassoAdmm } from './group-lasso-admm.js';
import { groupLassoFista } from './group-lasso-fista.js';
import { batchItem, carray } from './host-complex.js';
import { type LearnedModel, type MethodRun, predictLearned, predictLearnedAsync } from './learned-models.js';
import { mSbl } from './m-sbl.js';
import { nmseDb } from './nmse.js';
import { oracleLs } from './oracle-ls.js';
import type { ResolvedPriors } from './priors.js';
import type { JadceData } from './simulate.js';
import type { JadceProblem, SolverResult } from './solver.js';

/** Host solver method names. */
export const SOLVER_METHODS = [
  'oracle',
  'oracle-mmse',
  'amp-mmv',
  'em-bg-amp',
  'fista',
  'admm',
  'sbl',
  'cov-ml',
] as const;
/** Learned method names (need a trained model). */
export const LEARNED_METHODS = ['lista-gs', 'alista-gs', 'proposed'] as const;
/** Every method name accepted by `runMethod`. */
export type MethodName = (typeof SOLVER_METHODS)[number] | (typeof LEARNED_METHODS)[number];

/** Per-solver option overrides (iteration budgets, damping, ...), keyed by method name. */
export type SolverOverrides = Partial<Record<(typeof SOLVER_METHODS)[number], Record<string, unknown>>>;

/** Options of `runMethod`. */
export interface RunMethodOptions {
  /** Priors (ε for AMP-MMV, β for MMSE and scores). */
  priors: ResolvedPriors;
  /** Trained models for the learned methods. */
  models?: Partial<Record<(typeof LEARNED_METHODS)[number], LearnedModel>>;
  /** Only the first `count` realisations (default all). */
  count?: number;
  /** Solver option overrides. */
  solverOptions?: SolverOverrides;
}

/** The trained model of a learned method, or null for a host solver (InvalidArgumentError when it is missing). */
function learnedModelOf(name: MethodName, o: RunMethodOptions): LearnedModel | null {
  if (!(LEARNED_METHODS as readonly string[]).includes(name)) return null;
  const model = o.models?.[name as (typeof LEARNED_METHODS)[number]];
  if (!model)
    throw new InvalidArgumentError(`method '${name}' needs a trained model (ft jadce train, then --model <dir>)`);
  return model;
}

/**
 * Runs one method over the first `count` realisations of a data set. Learned models read their outputs with
 * `dataSync()`; on a GPU backend (no synchronous readback) use {@link runMethodAsync}.
 */
export function runMethod(name: MethodName, data: JadceData, o: RunMethodOptions): MethodRun {
  const [total, , M] = data.Y.shape;
  const N = data.S.cols;
  const count = Math.min(o.count ?? total, total);
  const { eps, beta } = o.priors;
  const model = learnedModelOf(name, o);
  if (model) return predictLearned(model, data, { beta, count });
  const extra = (o.solverOptions?.[name as (typeof SOLVER_METHODS)[number]] ?? {}) as Record<string, unknown>;
  let solve: (p: JadceProblem, b: number) => SolverResult;
  switch (name) {
    case 'oracle':
    case 'oracle-mmse':
      if (!data.active) throw new InvalidArgumentError(`method '${name}' needs the ground-truth 'active' in the data`);
      solve = (p, b) =>
        oracleLs(p, {
          active: data.active!.subarray(b * N, (b + 1) * N),
          method: name === 'oracle' ? 'ls' : 'mmse',
          ...extra,
        });
      break;
    case 'amp-mmv':
      solve = (p) => ampMmv(p, { eps, ...extra });
      break;
    case 'em-bg-amp':
      solve = (p) => emBgAmp(p, { lambda0: eps, ...extra });
      break;
    case 'fista':
      solve = (p) => groupLassoFista(p, extra);
      break;
    case 'admm':
      solve = (p) => groupLassoAdmm(p, extra);
      break;
    case 'sbl':
      solve = (p) => mSbl(p, extra);
      break;
    case 'cov-ml':
      solve = (p) => covarianceMl(p, { channel: 'mmse', ...extra });
      break;
    default:
      throw new InvalidArgumentError(
        `unknown method '${name}' (known: ${[...SOLVER_METHODS, ...LEARNED_METHODS].join(', ')})`,
      );
  }
  const X = carray([count, N, M]);
  const score = new Float64Array(count * N);
  const active = new Uint8Array(count * N);
  let iterations = 0;
  let kind: 'probability' | 'energy' = 'energy';
  const t0 = performance.now();
  for (let b = 0; b < count; b++) {
    const r = solve({ Y: batchItem(data.Y, b), S: data.S, sigma2: data.sigma2[b], eps, beta }, b);
    X.re.set(r.X.re, b * N * M);
    X.im.set(r.X.im, b * N * M);
    score.set(r.score, b * N);
    active.set(r.active, b * N);
    iterations += r.iterations;
    kind = r.scoreKind;
  }
  return {
    X,
    score,
    scoreKind: kind,
    active,
    seconds: (performance.now() - t0) / 1000,
    iterations: iterations / count,
  };
}

/**
 * {@link runMethod} with asynchronous reads of the learned models' outputs (any backend, GPU included); the same
 * result. Host solvers run as in `runMethod`.
 */
export async function runMethodAsync(name: MethodName, data: JadceData, o: RunMethodOptions): Promise<MethodRun> {
  const model = learnedModelOf(name, o);
  if (!model) return runMethod(name, data, o);
  const total = data.Y.shape[0];
  return predictLearnedAsync(model, data, { beta: o.priors.beta, count: Math.min(o.count ?? total, total) });
}

/** Scores of a method run (the fields `ft jadce eval` prints per method, plus details). */
export interface MethodScores {
  nmseDb: number;
  pMiss: number;
  pFa: number;
  aer: number;
  msPerSample: number;
  /** NMSE over the truly active rows only. */
  nmseActiveDb: number;
  /** Area under the ROC curve of the per-device scores. */
  auroc: number;
  /** Threshold used for detection. */
  threshold: number;
  /** Mean iterations / layers. */
  iterations: number;
  /** Realisations scored. */
  count: number;
}

/**
 * Scores a run against the ground truth of `data` (its first `run`-many realisations). `threshold` overrides the
 * method's default decision (then detection is 1[score ≥ threshold]).
 * @throws InvalidArgumentError when the data lacks X or `active`.
 */
export function scoreRun(run: MethodRun, data: JadceData, o: { threshold?: number } = {}): MethodScores {
  if (!data.X || !data.active)
    throw new InvalidArgumentError("scoring needs the ground truth 'X' and 'active' in the data");
  const [count, N, M] = run.X.shape;
  const n = count * N * M;
  const X = { re: data.X.re.subarray(0, n), im: data.X.im.subarray(0, n) };
  const labels = data.active.subarray(0, count * N);
  const act = o.threshold === undefined ? run.active : run.score.map((s) => (s >= o.threshold! ? 1 : 0));
  const det = detectionErrors(labels, act);
  // active rows only
  const aRe: number[] = [];
  const aIm: number[] = [];
  const hRe: number[] = [];
  const hIm: number[] = [];
  for (let i = 0; i < count * N; i++) {
    if (!labels[i]) continue;
    for (let m = 0; m < M; m++) {
      aRe.push(X.re[i * M + m]);
      aIm.push(X.im[i * M + m]);
      hRe.push(run.X.re[i * M + m]);
      hIm.push(run.X.im[i * M + m]);
    }
  }
  const hasBoth = det.nActive > 0 && det.nInactive > 0;
  return {
    nmseDb: nmseDb(run.X, X),
    pMiss: det.pMiss,
    pFa: det.pFa,
    aer: det.aer,
    msPerSample: (1000 * run.seconds) / count,
    nmseActiveDb: aRe.length ? nmseDb({ re: hRe, im: hIm }, { re: aRe, im: aIm }) : Number.NaN,
    auroc: hasBoth ? auroc(labels, run.score) : Number.NaN,
    threshold: o.threshold ?? (run.scoreKind === 'probability' ? 0.5 : 0.2),
    iterations: run.iterations,
    count,
  };
}

/**
 * Threshold minimising the activity error rate on validation scores (ties: the middle of the best interval), so test
 * thresholds are never chosen on test data.
 */
export function chooseThreshold(score: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (score.length !== labels.length || score.length === 0) {
    throw new InvalidArgumentError(
      `chooseThreshold: need equal, non-zero lengths (scores ${score.length}, labels ${labels.length})`,
    );
  }
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let negatives = 0;
  for (let i = 0; i < labels.length; i++) if (!labels[i]) negatives++;
  // threshold below every score: everything detected active, every inactive entry is a false alarm
  let fa = negatives;
  let miss = 0;
  let best = fa;
  let bestLo = Number.NEGATIVE_INFINITY;
  let bestHi = score[idx[0]];
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    // raising the threshold just above score[i] turns entry i inactive
    if (labels[i]) miss++;
    else fa--;
    const next = k + 1 < idx.length ? score[idx[k + 1]] : Number.POSITIVE_INFINITY;
    if (next === score[i]) continue;
    if (fa + miss < best) {
      best = fa + miss;
      bestLo = score[i];
      bestHi = next;
    }
  }
  if (!Number.isFinite(bestLo)) return bestHi - Math.max(1e-12, Math.abs(bestHi) * 1e-9);
  if (!Number.isFinite(bestHi)) return bestLo + Math.max(1e-12, Math.abs(bestLo) * 1e-9);
  return 0.5 * (bestLo + bestHi);
}
