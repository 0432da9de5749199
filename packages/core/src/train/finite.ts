/**
 * Finite-weights checks shared by every training loop (`fit`, adversarial training, jadce layer-wise training,
 * Mahalanobis fine-tuning): a run whose weights overflowed to NaN/±Inf must fail with a typed error instead of
 * saving or reporting them.
 *
 * "Finite" here also excludes magnitudes ≥ 2^64 (`WEIGHT_MAGNITUDE_LIMIT`, ≈ √FLT_MAX): the square of such a weight
 * overflows float32, so any L2 term, variance or dot product with it is ±Inf and the next forward pass is NaN. A
 * diverging run (e.g. SGD with lr 1e8) reaches 1e24 a step before it reaches Inf; no trained network has such
 * weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteValueError } from '../errors.js';

/** Weights with |w| ≥ 2^64 (≈ √FLT_MAX, squares overflow float32) count as diverged. */
export const WEIGHT_MAGNITUDE_LIMIT = 2 ** 64;

/**
 * Index of the first tensor holding a NaN, ±Inf or |x| ≥ `maxAbs` element, or -1 when there is none. One fused
 * reduction per float tensor (`all(|v| < maxAbs)`, false for NaN), stacked and read back from the device once.
 * Integer and bool tensors are skipped.
 * @param maxAbs magnitude limit; default `WEIGHT_MAGNITUDE_LIMIT`, `Infinity` checks for NaN/±Inf only.
 */
export async function firstNonFiniteIndex(
  tensors: readonly tf.Tensor[],
  maxAbs: number = WEIGHT_MAGNITUDE_LIMIT,
): Promise<number> {
  const idx: number[] = [];
  tensors.forEach((t, i) => {
    if (t.dtype === 'float32' && !t.isDisposed) idx.push(i);
  });
  if (idx.length === 0) return -1;
  const flags = tf.tidy(() => {
    const lim = tf.scalar(maxAbs);
    return tf.stack(idx.map((i) => tf.all(tf.less(tf.abs(tensors[i]), lim))));
  });
  let host: ArrayLike<number>;
  try {
    host = (await flags.data()) as ArrayLike<number>;
  } finally {
    flags.dispose();
  }
  for (let k = 0; k < idx.length; k++) if (!host[k]) return idx[k];
  return -1;
}

/** Where a finite-weights check runs, for the error message and details. */
export interface FiniteCheckContext {
  /** Who checks, e.g. `'fit'`, `'adversarialTrain'`. */
  where: string;
  /** Global step after which the weights were checked. */
  step?: number;
  epoch?: number;
  /** The last checkpoint written with finite weights (or null). */
  lastCheckpoint?: string | null;
  /** Names of the tensors (default: `variable.name`, else `tensor <i>`). */
  names?: readonly string[];
  /** Extra advice appended to the message. Default: lower the learning rate / clip gradients. */
  hint?: string;
  /** Magnitude limit (default `WEIGHT_MAGNITUDE_LIMIT` = 2^64); `Infinity` checks for NaN/±Inf only. */
  maxAbs?: number;
}

/**
 * Throws `NonFiniteValueError` (code `NON_FINITE_VALUE`) naming the first variable that holds NaN, ±Inf or a
 * magnitude ≥ `maxAbs` (2^64), the step and the last good checkpoint; resolves when every variable is fine. Checks
 * trainable and non-trainable variables alike (pass BN moving statistics too). Cost: one fused reduction per
 * variable and one device read (the offending variable alone is read back to count its bad values).
 */
export async function assertFiniteVariables(vars: readonly tf.Tensor[], context: FiniteCheckContext): Promise<void> {
  const maxAbs = context.maxAbs ?? WEIGHT_MAGNITUDE_LIMIT;
  const i = await firstNonFiniteIndex(vars, maxAbs);
  if (i < 0) return;
  const v = vars[i];
  const name = context.names?.[i] ?? (v as tf.Variable).name ?? `tensor ${i}`;
  const host = (await v.data()) as Float32Array;
  let nan = 0;
  let inf = 0;
  let huge = 0;
  let maxSeen = 0;
  for (let k = 0; k < host.length; k++) {
    if (Number.isNaN(host[k])) nan++;
    else if (!Number.isFinite(host[k])) inf++;
    else if (Math.abs(host[k]) >= maxAbs) {
      huge++;
      maxSeen = Math.max(maxSeen, Math.abs(host[k]));
    }
  }
  const what = [
    `${nan} NaN`,
    `${inf} ±Inf`,
    ...(huge ? [`${huge} of magnitude ≥ 2^64 (max ${maxSeen.toExponential(2)})`] : []),
  ];
  const at = [
    context.step !== undefined ? `after step ${context.step}` : '',
    context.epoch !== undefined ? `(epoch ${context.epoch})` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const hint = context.hint ?? 'lower the learning rate or clip gradients (clipNorm)';
  throw new NonFiniteValueError(
    `${context.where}: variable '${name}' [${v.shape}] has ${what.join(', ')} values${at ? ` ${at}` : ''}; ` +
      `the weights diverged and were not saved; last good checkpoint: ${context.lastCheckpoint ?? 'none'}; ${hint}`,
    {
      variable: name,
      index: i,
      nan,
      inf,
      huge,
      ...(context.step !== undefined ? { step: context.step } : {}),
      ...(context.epoch !== undefined ? { epoch: context.epoch } : {}),
      lastCheckpoint: context.lastCheckpoint ?? null,
    },
  );
}
