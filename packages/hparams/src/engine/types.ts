/** The interfaces samplers and pruners implement, and the read-only view of a study they receive. */
import type { Distribution, ParamValue } from './distributions.js';
import type { FrozenTrial, StudyDirection, TrialState } from './storage.js';

/** What a sampler or pruner sees of a study. */
export interface StudyView {
  readonly studyName: string;
  readonly direction: StudyDirection;
  /** The study's trials by number (from the storage's current view), optionally only those in `states`. */
  getTrials(states?: readonly TrialState[]): FrozenTrial[];
  /** Asks `optimize` to stop after the running trial (Optuna's `study.stop()`). */
  stop(): void;
  /** The study's pruner (TPE restricts its history to the trial's Hyperband bracket, as Optuna does). */
  readonly pruner?: Pruner;
  /** Sets a system attribute on a running trial (pruners record rung values this way). */
  setTrialSystemAttr(trial: FrozenTrial, key: string, value: unknown): void;
}

/** Chooses parameter values (Optuna's BaseSampler, independent sampling). */
export interface TrialSampler {
  /** Called when a trial starts, before any suggestion. */
  beforeTrial?(study: StudyView, trial: FrozenTrial): void;
  /**
   * Joint sampling (multivariate samplers): the search space to sample jointly for `trial`, called once when it
   * starts. Parameters outside it, or whose suggested distribution does not contain the joint value, are sampled by
   * {@link TrialSampler.sampleIndependent}.
   */
  inferRelativeSearchSpace?(study: StudyView, trial: FrozenTrial): Record<string, Distribution>;
  /** Joint values (external) for `space`; may leave parameters out. */
  sampleRelative?(
    study: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
  ): Record<string, ParamValue>;
  /** The value of parameter `name` for `trial`. */
  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue;
  /** Called after a trial finished (state and value are stored already). */
  afterTrial?(study: StudyView, trial: FrozenTrial): void;
}

/** Decides whether a running trial should stop early (Optuna's BasePruner). */
export interface Pruner {
  prune(study: StudyView, trial: FrozenTrial): boolean;
}
