/** Exhaustive search over a declared grid (Optuna's GridSampler). */
import { createRng, InvalidArgumentError } from '@ft/core';
import type { CategoricalChoice, Distribution, ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../storage.js';
import type { StudyView, TrialSampler } from '../types.js';

/** The system attribute naming a trial's grid point (Optuna's name). */
const GRID_ID = 'grid_id';

/**
 * Runs every combination of `searchSpace` once, in an order shuffled by `seed`. A trial takes the first point of
 * that order that no finished or running trial holds (so a resumed study skips done points), the study stops once
 * every point ran, and a parameter outside the declared space, or a grid value outside the suggested distribution,
 * throws InvalidArgumentError.
 */
export class GridSampler implements TrialSampler {
  private readonly names: string[];
  private readonly values: CategoricalChoice[][];
  private readonly order: Int32Array;
  readonly size: number;

  constructor(searchSpace: Record<string, readonly CategoricalChoice[]>, opts: { seed?: number } = {}) {
    if (!searchSpace || typeof searchSpace !== 'object')
      throw new InvalidArgumentError('GridSampler: searchSpace must be an object');
    this.names = Object.keys(searchSpace).sort();
    this.values = this.names.map((n) => {
      const vs = searchSpace[n];
      if (!Array.isArray(vs) || vs.length === 0)
        throw new InvalidArgumentError(`GridSampler: '${n}' needs a non-empty array of values`);
      for (const v of vs) {
        if (!(v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string')) {
          throw new InvalidArgumentError(`GridSampler: value ${String(v)} of '${n}' cannot be stored`);
        }
      }
      return [...vs];
    });
    this.size = this.values.reduce((p, v) => p * v.length, 1);
    const seed = opts.seed ?? 0;
    if (!Number.isFinite(seed)) throw new InvalidArgumentError(`GridSampler: seed must be finite, got ${seed}`);
    this.order = createRng(`grid:${seed}`).permutation(this.size);
  }

  /** The parameter values of grid point `id` (mixed radix, the last name varying fastest). */
  point(id: number): Record<string, CategoricalChoice> {
    const out: Record<string, CategoricalChoice> = {};
    let r = id;
    for (let i = this.names.length - 1; i >= 0; i--) {
      const vs = this.values[i] as CategoricalChoice[];
      out[this.names[i] as string] = vs[r % vs.length] as CategoricalChoice;
      r = Math.floor(r / vs.length);
    }
    return out;
  }

  private taken(study: StudyView, exclude: number): Set<number> {
    const s = new Set<number>();
    for (const t of study.getTrials(['complete', 'pruned', 'fail', 'running'])) {
      const g = t.systemAttrs[GRID_ID];
      if (t.number !== exclude && typeof g === 'number') s.add(g);
    }
    return s;
  }

  beforeTrial(study: StudyView, trial: FrozenTrial): void {
    if (typeof trial.systemAttrs[GRID_ID] === 'number') return;
    const taken = this.taken(study, trial.number);
    let id = this.order[0] as number;
    const free = Array.from(this.order).find((g) => !taken.has(g));
    if (free !== undefined) id = free;
    else study.stop(); // every point ran: this trial repeats one, and no further trial starts
    study.setTrialSystemAttr(trial, GRID_ID, id);
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): ParamValue {
    const idx = this.names.indexOf(name);
    if (idx < 0)
      throw new InvalidArgumentError(`GridSampler: parameter '${name}' is not in the search space`, { name });
    const id = trial.systemAttrs[GRID_ID];
    if (typeof id !== 'number') throw new InvalidArgumentError(`GridSampler: trial ${trial.number} has no grid point`);
    const v = this.point(id)[name] as CategoricalChoice;
    let ok: boolean;
    try {
      ok = dist.contains(dist.toInternalRepr(v));
    } catch {
      ok = false;
    }
    if (!ok)
      throw new InvalidArgumentError(
        `GridSampler: grid value ${String(v)} of '${name}' is outside the suggested distribution`,
        { name },
      );
    return v;
  }

  afterTrial(study: StudyView, trial: FrozenTrial): void {
    if (this.taken(study, -1).size >= this.size) study.stop();
    void trial;
  }
}
