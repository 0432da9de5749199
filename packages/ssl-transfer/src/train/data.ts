/**
 * The loaders of the official code of Abuduweili et al. (CVPR 2021): labelled and unlabelled images are both sampled
 * WITH replacement, `stepsPerEpoch × batch` per epoch, and every unlabelled image comes as a (weak, second) pair of
 * views of the same draw.
 */
import type { DataFn, ImageDataset, Rng, TrainBatch } from '@ft/core';
import { batchesSync, withReplacement } from '@ft/core/data';
import * as tf from '@tensorflow/tfjs-core';
import type { SslViews } from './views.js';

/** One SSL training batch: weak labelled images `x` with labels `y`, and the unlabelled views when used. */
export interface SslBatch extends TrainBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** Weak view of the unlabelled draw [B_u, H, W, C]. */
  uWeak?: tf.Tensor4D;
  /** Second view of the same draw (strong for FixMatch, another weak one for Mean Teacher). */
  uSecond?: tf.Tensor4D;
}

/** Options of {@link sslDataFn}. */
export interface SslDataOptions {
  labeled: ImageDataset;
  unlabeled: ImageDataset;
  batch: { labeled: number; unlabeled: number };
  stepsPerEpoch: number;
  views: SslViews;
  /** Which unlabelled views the algorithm reads: none, the weak one, or weak and a second (strong or weak) one. */
  unlabeledViews: 'none' | 'weak' | 'weak+strong' | 'weak+weak';
}

/**
 * `fit`'s data function: epoch e draws `stepsPerEpoch` labelled and unlabelled batches with replacement from
 * `rng` (deterministic in `(e, rng)`, so a resumed epoch regenerates the same batches).
 */
export function sslDataFn(o: SslDataOptions): DataFn<SslBatch> {
  return (_epoch, rng) => generate(o, rng);
}

function* generate(o: SslDataOptions, rng: Rng): Generator<SslBatch> {
  const { labeled, unlabeled, batch, stepsPerEpoch: n, views, unlabeledViews } = o;
  const labRng = rng.fork('labeled');
  const unlRng = rng.fork('unlabeled');
  const viewRng = rng.fork('views');
  const lab = batchesSync(labeled, {
    batchSize: batch.labeled,
    sampler: withReplacement(n * batch.labeled),
    rng: labRng,
    transform: views.weak,
  });
  const unl =
    unlabeledViews === 'none'
      ? null
      : batchesSync(unlabeled, {
          batchSize: batch.unlabeled,
          sampler: withReplacement(n * batch.unlabeled),
          rng: unlRng,
        });
  for (const l of lab) {
    const out: SslBatch = { x: l.x, y: l.y };
    const u = unl?.next();
    if (u && !u.done) {
      const raw = u.value.x;
      u.value.y.dispose();
      try {
        out.uWeak = tf.tidy(() => views.weak(raw, viewRng));
        if (unlabeledViews === 'weak+strong') out.uSecond = tf.tidy(() => views.strong(raw, viewRng));
        else if (unlabeledViews === 'weak+weak') out.uSecond = tf.tidy(() => views.weak(raw, viewRng));
      } finally {
        raw.dispose();
      }
    }
    yield out;
  }
}
