/**
 * The feature buffers of ARC (Abuduweili et al., CVPR 2021; official code `update_feat_table`): the last `capacity`
 * selected pooled features, kept as detached copies so that past batches carry no gradient.
 */
import { ShapeError } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import { detach } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A FIFO of feature rows [≤ capacity, D]. `push` stores a detached copy (the caller keeps and disposes its own
 * tensor) and disposes what falls out, so the number of live tensors stays constant once the queue is full.
 */
export class FeatureQueue {
  /** Maximum number of rows kept (the code's `mmd_feat_table_l/u`). */
  readonly capacity: number;
  private table: tf.Tensor2D | null = null;

  /** @param capacity rows kept, integer ≥ 1 [128]. */
  constructor(capacity = 128) {
    this.capacity = checkPositiveInt(capacity, 'capacity', 'FeatureQueue');
  }

  /** Number of rows held (0 … capacity). */
  get size(): number {
    return this.table ? this.table.shape[0] : 0;
  }

  /** Feature dimension D, or undefined before the first push. */
  get dim(): number | undefined {
    return this.table ? this.table.shape[1] : undefined;
  }

  /**
   * Appends the rows of `rows` [K, D] (K may be 0) and keeps the last `capacity` rows. Stores a detached copy.
   * @throws ShapeError when `rows` is not 2-D or its D differs from the queue's.
   */
  push(rows: tf.Tensor2D): void {
    if (rows.rank !== 2 || (this.table && rows.shape[1] !== this.table.shape[1])) {
      throw new ShapeError(
        `FeatureQueue.push: rows must have shape [K, ${this.dim ?? 'D'}], got [${rows.shape.join(', ')}]`,
        { shape: rows.shape, dim: this.dim },
      );
    }
    if (rows.shape[0] === 0) return;
    const old = this.table;
    const next = tf.tidy(() => {
      const joined = old ? tf.concat([old, detach(rows)], 0) : detach(rows);
      const n = joined.shape[0];
      return n > this.capacity ? tf.slice(joined, [n - this.capacity, 0], [this.capacity, -1]) : joined.clone();
    });
    this.table = tf.keep(next);
    old?.dispose();
  }

  /** A copy of the rows held, oldest first, with zero gradient ([0, D] or [0, 0] when empty; caller disposes). */
  all(): tf.Tensor2D {
    if (!this.table) return tf.zeros([0, 0]);
    return detach(this.table);
  }

  /** The rows held as the live tensor (oldest first; null when empty). Read it, do not dispose it (for checkpoints). */
  peek(): tf.Tensor2D | null {
    return this.table;
  }

  /** Replaces the content with a detached copy of the last `capacity` rows of `rows` (or empties it for null). */
  restore(rows: tf.Tensor2D | null): void {
    this.dispose();
    if (rows) this.push(rows);
  }

  /** Frees the rows held; the queue is empty (and reusable) afterwards. */
  dispose(): void {
    this.table?.dispose();
    this.table = null;
  }
}
