/**
 * Samplers decide the order (and multiplicity) in which {@link batches} visits a dataset during one epoch.
 */
import { EmptyDatasetError, InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import { indicesByClass } from './splits.js';

/** What a sampler sees of a dataset. */
export interface SamplerSource {
  size: number;
  /** Needed by class-aware samplers. */
  labels?: Int32Array;
  numClasses?: number;
}

/** Produces the sample indices of one epoch. Randomness comes only from `rng`. */
export interface Sampler {
  readonly name: string;
  /** Indices for one epoch (values in [0, size)). */
  epoch(ds: SamplerSource, rng: Rng): Int32Array;
}

/** 0, 1, …, n−1 (no randomness). */
export function sequential(): Sampler {
  return {
    name: 'sequential',
    epoch: (ds) => Int32Array.from({ length: ds.size }, (_, i) => i),
  };
}

/** A fresh random permutation every epoch (sampling without replacement). */
export function shuffled(): Sampler {
  return { name: 'shuffled', epoch: (ds, rng) => rng.permutation(ds.size) };
}

/**
 * `nPerEpoch` independent uniform draws with replacement (default: dataset size). For SSL epochs defined as
 * `per_epoch_steps × batch` samples regardless of the (small) labelled set size.
 */
export function withReplacement(nPerEpoch?: number): Sampler {
  if (nPerEpoch !== undefined && !(Number.isInteger(nPerEpoch) && nPerEpoch > 0)) {
    throw new InvalidArgumentError(`withReplacement: nPerEpoch must be a positive integer, got ${nPerEpoch}`);
  }
  return {
    name: 'withReplacement',
    epoch: (ds, rng) => {
      if (ds.size === 0) throw new EmptyDatasetError('withReplacement: dataset is empty');
      const n = nPerEpoch ?? ds.size;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = rng.int(ds.size);
      return out;
    },
  };
}

/**
 * Class-balanced sampling: the epoch is a sequence of rounds, each visiting every (non-empty) class once in a random
 * order; within a class, samples are taken from a shuffled cycle (reshuffled when exhausted), so minority classes
 * are oversampled and every window of C consecutive aligned draws holds each class once.
 * @param opts.nPerEpoch draws per epoch (default: dataset size)
 */
export function classBalanced(opts: { nPerEpoch?: number } = {}): Sampler {
  const nPer = opts.nPerEpoch;
  if (nPer !== undefined && !(Number.isInteger(nPer) && nPer > 0)) {
    throw new InvalidArgumentError(`classBalanced: nPerEpoch must be a positive integer, got ${nPer}`);
  }
  return {
    name: 'classBalanced',
    epoch: (ds, rng) => {
      if (!ds.labels) throw new InvalidArgumentError('classBalanced: the dataset has no labels array');
      if (ds.size === 0) throw new EmptyDatasetError('classBalanced: dataset is empty');
      const groups = indicesByClass(ds.labels).filter((g) => g.length > 0);
      const n = nPer ?? ds.size;
      const cursors = groups.map(() => 0);
      const perms = groups.map((g) => rng.permutation(g.length));
      const order = Int32Array.from(groups, (_, k) => k);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const r = i % groups.length;
        if (r === 0) {
          const p = rng.permutation(groups.length);
          for (let k = 0; k < p.length; k++) order[k] = p[k];
        }
        const k = order[r];
        if (cursors[k] === groups[k].length) {
          perms[k] = rng.permutation(groups[k].length);
          cursors[k] = 0;
        }
        out[i] = groups[k][perms[k][cursors[k]++]];
      }
      return out;
    },
  };
}
