/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011) with Optuna's defaults, independent per parameter:
 * after `nStartupTrials` finished trials, the trials are split into the γ(n) best ("below") and the rest ("above"),
 * a Parzen estimator is fitted to each parameter's values in both groups, `nEICandidates` candidates are drawn from
 * the "below" estimator, and the one maximising log l(x) − log g(x) is returned. Complete trials rank by value;
 * pruned trials rank after them, those that reached a later step first, then by their last reported value.
 * Draws come from a stream named by (seed, trial number, parameter), so the result depends only on the seed and the
 * history. With `multivariate: true`, the parameters every finished trial shares are proposed jointly at the start of
 * each trial from product kernels (Optuna's multivariate TPE); the Parzen estimators match Optuna's (see
 * optuna-reference.test.ts).
 */
import { createRng, InvalidArgumentError } from '@ft/core';
import { type Distribution, distributionsEqual, type ParamValue } from '../distributions.js';
import { HyperbandPruner } from '../pruners/successive-halving.js';
import { type FrozenTrial, lastStep, type StudyDirection } from '../storage.js';
import type { StudyView, TrialSampler } from '../types.js';
import { MultivariateParzenEstimator, ParzenEstimator, type ParzenOptions } from './parzen.js';
import { sampleUniform } from './random.js';
import { fromSamplingSpace, toSamplingSpace } from './transform.js';

/** With a Hyperband pruner, the trial's bracket only (Optuna's TPE does the same). */
function withinBracket(study: StudyView, trial: FrozenTrial): StudyView {
  return study.pruner instanceof HyperbandPruner && study.pruner.nBrackets > 0
    ? study.pruner.bracketView(study, trial)
    : study;
}

/** Optuna's default γ(n) = min(⌈0.1·n⌉, 25). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Options of {@link TPESampler} (Optuna's defaults). */
export interface TPESamplerOptions extends ParzenOptions {
  /** Seed of every draw [0]. */
  seed?: number;
  /** Random trials before TPE starts [10]. */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per suggestion [24]. */
  nEICandidates?: number;
  /** Size of the "below" group for n finished trials [defaultGamma]. */
  gamma?: (n: number) => number;
  /**
   * Multivariate TPE [false]: parameters that every finished trial has (with one distribution) are sampled jointly
   * from product kernels with bandwidth 0.2·n^(−1/(d+4))·range, the others independently.
   */
  multivariate?: boolean;
}

/**
 * Optuna's IntersectionSearchSpace (pruned trials included): the parameters every given trial has, with the same
 * distribution in all of them, by name.
 */
export function intersectionSearchSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  let space: Map<string, Distribution> | null = null;
  for (const t of trials) {
    if (space === null) {
      space = new Map(Object.entries(t.distributions));
      continue;
    }
    for (const [name, d] of [...space]) {
      const other = t.distributions[name];
      if (!other || !distributionsEqual(other, d)) space.delete(name);
    }
  }
  const out: Record<string, Distribution> = {};
  for (const name of [...(space?.keys() ?? [])].sort())
    out[name] = (space as Map<string, Distribution>).get(name) as Distribution;
  return out;
}

function prunedScore(t: FrozenTrial, direction: StudyDirection): [number, number] {
  const s = lastStep(t);
  if (s === null) return [1, 0];
  const v = t.intermediateValues.get(s) as number;
  if (Number.isNaN(v)) return [-s, Number.POSITIVE_INFINITY];
  return [-s, direction === 'minimize' ? v : -v];
}

/**
 * Optuna's split of finished trials into the `nBelow` best and the rest: complete trials by value first, then
 * pruned trials by (later step first, better last value). Both groups come back ordered by trial number.
 */
export function splitTrials(
  trials: readonly FrozenTrial[],
  nBelow: number,
  direction: StudyDirection,
): [FrozenTrial[], FrozenTrial[]] {
  const sign = direction === 'minimize' ? 1 : -1;
  const complete = trials
    .filter((t) => t.state === 'complete')
    .sort((a, b) => sign * ((a.value as number) - (b.value as number)) || a.number - b.number);
  const pruned = trials
    .filter((t) => t.state === 'pruned')
    .map((t) => ({ t, s: prunedScore(t, direction) }))
    .sort((a, b) => a.s[0] - b.s[0] || a.s[1] - b.s[1] || a.t.number - b.t.number)
    .map((x) => x.t);
  const ranked = [...complete, ...pruned];
  const byNumber = (a: FrozenTrial, b: FrozenTrial): number => a.number - b.number;
  return [ranked.slice(0, nBelow).sort(byNumber), ranked.slice(nBelow).sort(byNumber)];
}

/** Optuna's TPESampler (independent by default, multivariate as an option). */
export class TPESampler implements TrialSampler {
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly nEICandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenOptions;
  readonly multivariate: boolean;

  constructor(opts: TPESamplerOptions = {}) {
    const {
      seed = 0,
      nStartupTrials = 10,
      nEICandidates = 24,
      gamma = defaultGamma,
      multivariate = false,
      ...parzen
    } = opts;
    if (!Number.isFinite(seed)) throw new InvalidArgumentError(`TPESampler: seed must be finite, got ${seed}`);
    if (!Number.isSafeInteger(nStartupTrials) || nStartupTrials < 0) {
      throw new InvalidArgumentError(`TPESampler: nStartupTrials must be an integer >= 0, got ${nStartupTrials}`);
    }
    if (!Number.isSafeInteger(nEICandidates) || nEICandidates < 1) {
      throw new InvalidArgumentError(`TPESampler: nEICandidates must be an integer >= 1, got ${nEICandidates}`);
    }
    if (typeof gamma !== 'function') throw new InvalidArgumentError('TPESampler: gamma must be a function');
    if (parzen.priorWeight !== undefined && !(parzen.priorWeight > 0)) {
      throw new InvalidArgumentError(`TPESampler: priorWeight must be > 0, got ${parzen.priorWeight}`);
    }
    this.seed = seed;
    this.nStartupTrials = nStartupTrials;
    this.nEICandidates = nEICandidates;
    this.gamma = gamma;
    this.parzen = parzen;
    this.multivariate = Boolean(multivariate);
  }

  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Record<string, Distribution> {
    if (!this.multivariate) return {};
    const space = intersectionSearchSpace(
      study.getTrials(['complete', 'pruned']).filter((t) => t.number !== trial.number),
    );
    for (const [name, d] of Object.entries(space)) if (d.single()) delete space[name];
    return space;
  }

  sampleRelative(
    studyView: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
  ): Record<string, ParamValue> {
    const study = withinBracket(studyView, trial);
    const names = Object.keys(space);
    const history = study.getTrials(['complete', 'pruned']).filter((t) => t.number !== trial.number);
    if (names.length === 0 || history.length < this.nStartupTrials) return {};
    const dists = names.map((n) => space[n] as Distribution);
    const [below, above] = splitTrials(history, this.gamma(history.length), study.direction);
    const rows = (ts: FrozenTrial[]): number[][] =>
      ts
        .filter((t) => names.every((n) => Object.hasOwn(t.params, n)))
        .map((t) =>
          names.map((n, j) => {
            const d = dists[j] as Distribution;
            const internal = d.toInternalRepr(t.params[n] as ParamValue);
            return d.kind === 'categorical' ? internal : toSamplingSpace(d, internal);
          }),
        );
    const l = new MultivariateParzenEstimator(rows(below), dists, this.parzen);
    const g = new MultivariateParzenEstimator(rows(above), dists, this.parzen);
    const candidates = l.sample(createRng(`tpe-relative:${this.seed}:${trial.number}`), this.nEICandidates);
    let best = candidates[0] as number[];
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const x of candidates) {
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    const out: Record<string, ParamValue> = {};
    names.forEach((n, j) => {
      const d = dists[j] as Distribution;
      const x = best[j] as number;
      out[n] = d.toExternalRepr(d.kind === 'categorical' ? x : fromSamplingSpace(d, x));
    });
    return out;
  }

  sampleIndependent(studyView: StudyView, trial: FrozenTrial, name: string, dist: Distribution): ParamValue {
    const study = withinBracket(studyView, trial);
    const label = `tpe:${this.seed}:${trial.number}:${name}`;
    const history = study.getTrials(['complete', 'pruned']).filter((t) => t.number !== trial.number);
    if (history.length < this.nStartupTrials) return sampleUniform(label, dist);
    const [below, above] = splitTrials(history, this.gamma(history.length), study.direction);
    const obs = (ts: FrozenTrial[]): number[] =>
      ts
        .filter((t) => Object.hasOwn(t.params, name))
        .map((t) => {
          const internal = dist.toInternalRepr(t.params[name] as ParamValue);
          return dist.kind === 'categorical' ? internal : toSamplingSpace(dist, internal);
        });
    const l = new ParzenEstimator(obs(below), dist, this.parzen);
    const g = new ParzenEstimator(obs(above), dist, this.parzen);
    const candidates = l.sample(createRng(label), this.nEICandidates);
    let best = candidates[0] as number;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const x of candidates) {
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    const internal = dist.kind === 'categorical' ? best : fromSamplingSpace(dist, best);
    return dist.toExternalRepr(internal);
  }
}
