/**
 * Finite-weights checks shared by every training loop (`fit`, adversarial training, jadce layer-wise training,
 * Mahalanobis fine-tuning): a run whose weights overflowed to NaN/±Inf must fail with a typed error instead of
 * saving or reporting them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteValueError } from '../errors.js';

/**
 * Index of the first tensor holding a NaN or ±Inf element, or -1 when all are finite. One fused reduction per
 * float tensor (`all(isFinite(v))`), stacked and read back from the device once. Integer and bool tensors are
 * finite by construction and skipped.
 */
export async function firstNonFiniteIndex(tensors: readonly tf.Tensor[]): Promise<number> {
  const idx: number[] = [];
  tensors.forEach((t, i) => {
    if (t.dtype === 'float32' && !t.isDisposed) idx.push(i);
  });
  if (idx.length === 0) return -1;
  const flags = tf.tidy(() => tf.stack(idx.map((i) => tf.all(tf.isFinite(tensors[i])))));
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
}

/**
 * Throws `NonFiniteValueError` (code `NON_FINITE_VALUE`) naming the first variable that holds NaN or ±Inf, the
 * step and the last good checkpoint; resolves when every variable is finite. Checks trainable and non-trainable
 * variables alike (pass BN moving statistics too). Cost: one fused reduction per variable and one device read.
 */
export async function assertFiniteVariables(vars: readonly tf.Tensor[], context: FiniteCheckContext): Promise<void> {
  const i = await firstNonFiniteIndex(vars);
  if (i < 0) return;
  const v = vars[i];
  const name = context.names?.[i] ?? (v as tf.Variable).name ?? `tensor ${i}`;
  const host = (await v.data()) as Float32Array;
  let nan = 0;
  let inf = 0;
  for (let k = 0; k < host.length; k++) {
    if (Number.isNaN(host[k])) nan++;
    else if (!Number.isFinite(host[k])) inf++;
  }
  const at = [
    context.step !== undefined ? `after step ${context.step}` : '',
    context.epoch !== undefined ? `(epoch ${context.epoch})` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const hint = context.hint ?? 'lower the learning rate or clip gradients (clipNorm)';
  throw new NonFiniteValueError(
    `${context.where}: variable '${name}' [${v.shape}] has ${nan} NaN and ${inf} ±Inf values${at ? ` ${at}` : ''}; ` +
      `the weights diverged and were not saved; last good checkpoint: ${context.lastCheckpoint ?? 'none'}; ${hint}`,
    {
      variable: name,
      index: i,
      nan,
      inf,
      ...(context.step !== undefined ? { step: context.step } : {}),
      ...(context.epoch !== undefined ? { epoch: context.epoch } : {}),
      lastCheckpoint: context.lastCheckpoint ?? null,
    },
  );
}
