/**
 * Fused optimizer updates for any tfjs backend that registers the kernels below.
 *
 * tfjs-core's SGD, momentum and Adam optimizers apply each variable's update as a chain of small kernels (2, 4 and
 * ~14 per variable, a few hundred per training step of a ResNet). On a GPU every one is a dispatch; on a CPU each
 * re-reads the variable. {@link installFusedOptimizers} overrides `applyGradients` on the three optimizer classes'
 * prototypes: when the current backend has the matching kernel registered ({@link FUSED_OPTIMIZER_KERNELS}), every
 * variable and gradient is float32 and fusion is on, each variable is updated by one kernel call; otherwise tfjs'
 * own method runs. Optimizer state (accumulators and moments, with tfjs' names) is created exactly as tfjs does, so
 * `getWeights()` / `setWeights()` and saved models are unchanged. The scalars an update needs (−lr, the momentum, the
 * Adam β powers) are passed as tensors, so no update reads the device synchronously.
 *
 * The override is installed once per process, whichever copy of this package installs it first (its state lives on
 * `globalThis`), so backends can each depend on this package.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernel names of the fused updates, and their contract (all tensors float32, outputs shaped like `param`):
 * - `FtSGDUpdate`: inputs `{param, grad, c}` with scalar c = −lr; output `c·grad + param`.
 * - `FtMomentumUpdate`: inputs `{param, acc, grad, momentum, c}`, attr `nesterov`; outputs `[param', acc']` with
 *   acc' = momentum·acc + grad and param' = c·acc' + param, or c·(grad + acc'·momentum) + param with Nesterov.
 * - `FtAdamUpdate`: inputs `{param, m, v, grad, accBeta1, accBeta2}` (β₁ᵗ, β₂ᵗ as scalar tensors), attrs
 *   `{beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, negLr}` (float32 values); outputs `[param', m', v']` with
 *   m' = β₁m + (1−β₁)g, v' = β₂v + (1−β₂)g², param' = (m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε) · (−lr) + param
 *   (Kingma & Ba, ICLR 2015, in tfjs-core's operation order).
 */
export const FUSED_OPTIMIZER_KERNELS = {
  sgd: 'FtSGDUpdate',
  momentum: 'FtMomentumUpdate',
  adam: 'FtAdamUpdate',
} as const;

type NamedGradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

interface FusionState {
  installed: boolean;
  enabled: boolean;
  disabledBackends: Set<string>;
}

const STATE_KEY = Symbol.for('@ft/tfjs-fused-training:optimizers');

function state(): FusionState {
  const g = globalThis as { [STATE_KEY]?: FusionState };
  if (!g[STATE_KEY]) {
    g[STATE_KEY] = {
      installed: false,
      enabled: process.env.FT_FUSE_OPTIMIZERS !== '0',
      disabledBackends: new Set(),
    };
  }
  return g[STATE_KEY];
}

/**
 * Turns the fused updates on or off: process-wide without `backendName` (default on unless `FT_FUSE_OPTIMIZERS=0`),
 * or for one backend. Off, tfjs' own `applyGradients` runs.
 * @param on whether to fuse.
 * @param backendName limit the switch to this backend.
 */
export function setOptimizerFusion(on: boolean, backendName?: string): void {
  const s = state();
  if (backendName === undefined) s.enabled = on;
  else if (on) s.disabledBackends.delete(backendName);
  else s.disabledBackends.add(backendName);
}

/**
 * Whether fused updates are on (process-wide, and for `backendName` when given).
 * @param backendName a backend name.
 */
export function isOptimizerFusionEnabled(backendName?: string): boolean {
  const s = state();
  return s.enabled && (backendName === undefined || !s.disabledBackends.has(backendName));
}

/** Whether the current backend fuses `kernel` for these variables: on, registered, all float32. */
function fusable(kernel: string, names: string[], grads: (tf.Tensor | undefined)[]): boolean {
  const backendName = tf.getBackend();
  if (!isOptimizerFusionEnabled(backendName) || !tf.getKernel(kernel, backendName)) return false;
  return names.every((name, i) => {
    const value = tf.engine().registeredVariables[name];
    const g = grads[i];
    return value !== undefined && value.dtype === 'float32' && (g === undefined || g === null || g.dtype === 'float32');
  });
}

function unpack(variableGradients: NamedGradients): { names: string[]; grads: (tf.Tensor | undefined)[] } {
  if (Array.isArray(variableGradients)) {
    return { names: variableGradients.map((v) => v.name), grads: variableGradients.map((v) => v.tensor) };
  }
  const names = Object.keys(variableGradients);
  return { names, grads: names.map((n) => variableGradients[n]) };
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor[] {
  const r = tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(r) ? r : [r];
}

/** A named optimizer state variable, as tfjs-core's optimizers keep them. */
type Slot = { originalName: string; variable: tf.Variable };

/** Fields of tfjs-core's optimizer classes that the fused paths read and write (tfjs-core 4.x). */
interface SgdFields {
  c: tf.Scalar;
  incrementIterations(): void;
}
interface MomentumFields extends SgdFields {
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: Slot[];
}
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}

/**
 * Optimizer state slot `i` of `slots`, created as tfjs does on first use: a non-trainable zeros variable named
 * `<variable>/<suffix>` (so getWeights()/setWeights() see the same names).
 */
function slot(slots: Slot[], i: number, name: string, suffix: string, value: tf.Variable): tf.Variable {
  if (slots[i] == null) {
    slots[i] = { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  }
  return slots[i].variable;
}

function sgdApply(this: SgdFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  tf.tidy(() => {
    names.forEach((name, i) => {
      const g = grads[i];
      if (g == null) return;
      const param = tf.engine().registeredVariables[name];
      const [next] = run(FUSED_OPTIMIZER_KERNELS.sgd, { param, grad: g, c: this.c }, {});
      param.assign(next);
    });
  });
  this.incrementIterations();
}

function momentumApply(this: MomentumFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  // tfjs multiplies by its scalar tensors m (the momentum at construction; setMomentum does not update it) and
  // c = −learningRate.
  tf.tidy(() => {
    names.forEach((name, i) => {
      const param = tf.engine().registeredVariables[name];
      const acc = slot(this.accumulations, i, name, 'momentum', param);
      const g = grads[i];
      if (g == null) return;
      const [next, nextAcc] = run(
        FUSED_OPTIMIZER_KERNELS.momentum,
        { param, acc, grad: g, momentum: this.m, c: this.c },
        { nesterov: this.useNesterov },
      );
      acc.assign(nextAcc);
      param.assign(next);
    });
  });
  this.incrementIterations();
}

function adamApply(this: AdamFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  const f = Math.fround;
  // tfjs: (1 − β) and −lr are JS numbers made float32 by its ops.
  const attrs = {
    beta1: f(this.beta1),
    beta2: f(this.beta2),
    oneMinusBeta1: f(1 - this.beta1),
    oneMinusBeta2: f(1 - this.beta2),
    epsilon: f(this.epsilon),
    negLr: f(-this.learningRate),
  };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const param = tf.engine().registeredVariables[name];
      const m = slot(this.accumulatedFirstMoment, i, name, 'm', param);
      const v = slot(this.accumulatedSecondMoment, i, name, 'v', param);
      const g = grads[i];
      if (g == null) return;
      const [next, nextM, nextV] = run(
        FUSED_OPTIMIZER_KERNELS.adam,
        { param, m, v, grad: g, accBeta1: this.accBeta1, accBeta2: this.accBeta2 },
        attrs,
      );
      m.assign(nextM);
      v.assign(nextV);
      param.assign(next);
    });
    this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
    this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
  });
  this.incrementIterations();
}

function patchClass(
  cls: { prototype: { applyGradients(g: NamedGradients): void } } | undefined,
  kernel: string,
  fused: (this: never, names: string[], grads: (tf.Tensor | undefined)[]) => void,
): void {
  if (!cls) return;
  const original = cls.prototype.applyGradients;
  cls.prototype.applyGradients = function applyGradients(this: never, variableGradients: NamedGradients): void {
    const { names, grads } = unpack(variableGradients);
    if (fusable(kernel, names, grads)) fused.call(this, names, grads);
    else original.call(this, variableGradients);
  };
}

/**
 * Installs the `applyGradients` overrides of tfjs-core's `SGDOptimizer`, `MomentumOptimizer` and `AdamOptimizer`
 * (once per process; later calls do nothing). A backend calls this when it registers the
 * {@link FUSED_OPTIMIZER_KERNELS}; on backends without them tfjs' own updates run unchanged.
 */
export function installFusedOptimizers(): void {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  // Momentum extends SGD: patch the subclass too so its own method is overridden.
  patchClass(tf.SGDOptimizer as never, FUSED_OPTIMIZER_KERNELS.sgd, sgdApply as never);
  patchClass(tf.MomentumOptimizer as never, FUSED_OPTIMIZER_KERNELS.momentum, momentumApply as never);
  patchClass(tf.AdamOptimizer as never, FUSED_OPTIMIZER_KERNELS.adam, adamApply as never);
}

/** Whether {@link installFusedOptimizers} has run in this process. */
export function areFusedOptimizersInstalled(): boolean {
  return state().installed;
}
