/**
 * Fused optimizer updates on `ft-native`: tfjs-core's SGD, momentum and Adam optimizers apply each variable's update
 * as a chain of small kernels (2, 4 and ~14 per variable; with ~60 variables that is a few hundred kernel calls per
 * training step, ~2 % of a ResNet-20 step with momentum and ~6 % with Adam). This replaces each chain by one native
 * kernel per variable — `NativeSGDUpdate`, `NativeMomentumUpdate`, `NativeAdamUpdate` — that evaluates the same
 * float32 op sequence (one rounding per op, no fused multiply-add), so the new values are bit-identical to tfjs'.
 *
 * Design: the optimizers are user objects (`tf.train.momentum(...)`), so the fusion is an override of their
 * `applyGradients` on the prototype, active only while an ft-native backend is the current backend and every
 * variable and gradient is float32; otherwise, and on every other backend, tfjs' own method runs. Optimizer state
 * (accumulators and moments, with their tfjs names) is created exactly as tfjs does, so `getWeights()` /
 * `setWeights()` and saved models are unchanged. Disable with `registerNativeBackend({ fuseOptimizers: false })`
 * or `FT_NATIVE_FUSE_OPTIMIZERS=0`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';

/** Kernel names of the fused updates. */
export const OPTIMIZER_KERNELS = {
  sgd: 'NativeSGDUpdate',
  momentum: 'NativeMomentumUpdate',
  adam: 'NativeAdamUpdate',
} as const;

type Info = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: NativeBackend; attrs?: tf.NamedAttrMap };
type NamedGradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

const fusedBackends = new Set<string>();
let enabled = true;
let patched = false;

function f32Inputs(backend: NativeBackend, inputs: tf.NamedTensorInfoMap, names: string[]): Float32Array[] {
  return names.map((n) => {
    const v = backend.f32(inputs[n] as Info);
    if (!v) throw new Error(`fused optimizer update: input '${n}' is not float32`);
    return v;
  });
}

function sgdKernel({ inputs, backend, attrs }: KernelArgs): Info {
  const [value, grad] = f32Inputs(backend, inputs, ['value', 'grad']);
  const out = backend.alloc(value.length);
  backend.native.sgdUpdate(value, grad, out, Number(attrs?.c));
  return backend.out((inputs.value as Info).shape.slice(), out);
}

function momentumKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const [value, acc, grad] = f32Inputs(backend, inputs, ['value', 'acc', 'grad']);
  const newValue = backend.alloc(value.length);
  const newAcc = backend.alloc(value.length);
  backend.native.momentumUpdate(
    value,
    acc,
    grad,
    newValue,
    newAcc,
    Number(attrs?.m),
    Number(attrs?.c),
    attrs?.nesterov ? 1 : 0,
  );
  const shape = (inputs.value as Info).shape;
  return [backend.out(shape.slice(), newValue), backend.out(shape.slice(), newAcc)];
}

function adamKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const [value, m, v, grad] = f32Inputs(backend, inputs, ['value', 'm', 'v', 'grad']);
  const n = value.length;
  const outs = [backend.alloc(n), backend.alloc(n), backend.alloc(n)];
  const a = (k: string) => Number(attrs?.[k]);
  backend.native.adamUpdate(
    value,
    m,
    v,
    grad,
    outs[0],
    outs[1],
    outs[2],
    a('beta1'),
    a('beta2'),
    a('oneMinusBeta1'),
    a('oneMinusBeta2'),
    a('oneMinusAccBeta1'),
    a('oneMinusAccBeta2'),
    a('epsilon'),
    a('negLr'),
  );
  const shape = (inputs.value as Info).shape;
  return outs.map((o) => backend.out(shape.slice(), o));
}

/** Whether fused updates apply now: enabled, an ft-native backend current, everything float32. */
function fusable(names: string[], grads: (tf.Tensor | undefined)[]): boolean {
  if (!enabled || !fusedBackends.has(tf.getBackend())) return false;
  const backend = tf.backend() as NativeBackend;
  if (typeof backend.native?.adamUpdate !== 'function') return false; // an addon built before this file
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
  learningRate: number;
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

function sgdApply(this: SgdFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  // tfjs multiplies by its scalar tensor c = -learningRate (float32).
  const attrs = { c: this.c.dataSync()[0] };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const g = grads[i];
      if (g == null) return;
      const value = tf.engine().registeredVariables[name];
      const [newValue] = run(OPTIMIZER_KERNELS.sgd, { value, grad: g }, attrs);
      value.assign(newValue);
    });
  });
  this.incrementIterations();
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

function momentumApply(this: MomentumFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  // tfjs multiplies by its scalar tensors m (momentum at construction; setMomentum does not update it) and
  // c = -learningRate, both float32.
  const m = this.m.dataSync()[0];
  const c = this.c.dataSync()[0];
  const attrs = { m, c, nesterov: this.useNesterov };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const acc = slot(this.accumulations, i, name, 'momentum', value);
      const g = grads[i];
      if (g == null) return;
      const [newValue, newAcc] = run(OPTIMIZER_KERNELS.momentum, { value, acc, grad: g }, attrs);
      acc.assign(newAcc);
      value.assign(newValue);
    });
  });
  this.incrementIterations();
}

function adamApply(this: AdamFields, names: string[], grads: (tf.Tensor | undefined)[]): void {
  const f = Math.fround;
  // tfjs: oneMinusAccBeta = sub(1, accBeta) on float32 scalars; (1 - beta) and -lr are JS numbers made float32.
  const oneMinusAccBeta1 = f(1 - this.accBeta1.dataSync()[0]);
  const oneMinusAccBeta2 = f(1 - this.accBeta2.dataSync()[0]);
  const attrs = {
    beta1: f(this.beta1),
    beta2: f(this.beta2),
    oneMinusBeta1: f(1 - this.beta1),
    oneMinusBeta2: f(1 - this.beta2),
    oneMinusAccBeta1,
    oneMinusAccBeta2,
    epsilon: f(this.epsilon),
    negLr: f(-this.learningRate),
  };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const m = slot(this.accumulatedFirstMoment, i, name, 'm', value);
      const v = slot(this.accumulatedSecondMoment, i, name, 'v', value);
      const g = grads[i];
      if (g == null) return;
      const [newValue, newM, newV] = run(OPTIMIZER_KERNELS.adam, { value, m, v, grad: g }, attrs);
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
    this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
  });
  this.incrementIterations();
}

function patchClass(
  cls: { prototype: { applyGradients(g: NamedGradients): void } } | undefined,
  fused: (this: never, names: string[], grads: (tf.Tensor | undefined)[]) => void,
): void {
  if (!cls) return;
  const original = cls.prototype.applyGradients;
  cls.prototype.applyGradients = function applyGradients(this: never, variableGradients: NamedGradients): void {
    const { names, grads } = unpack(variableGradients);
    if (fusable(names, grads)) fused.call(this, names, grads);
    else original.call(this, variableGradients);
  };
}

/**
 * Registers the fused-update kernels on `backendName` and (once per process) the `applyGradients` overrides of
 * tfjs-core's `SGDOptimizer`, `MomentumOptimizer` and `AdamOptimizer`.
 * @param backendName the native backend's name.
 */
export function registerFusedOptimizers(backendName: string): void {
  if (!fusedBackends.has(backendName)) {
    const reg = (kernelName: string, kernelFunc: (a: KernelArgs) => Info | Info[]) =>
      tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    reg(OPTIMIZER_KERNELS.sgd, sgdKernel);
    reg(OPTIMIZER_KERNELS.momentum, momentumKernel);
    reg(OPTIMIZER_KERNELS.adam, adamKernel);
    fusedBackends.add(backendName);
  }
  if (patched) return;
  patched = true;
  // Momentum extends SGD: patch the subclass too so its own method is overridden.
  patchClass(tf.SGDOptimizer as never, sgdApply as never);
  patchClass(tf.MomentumOptimizer as never, momentumApply as never);
  patchClass(tf.AdamOptimizer as never, adamApply as never);
}

/**
 * Turns the fused optimizer updates on or off (process-wide; default on unless FT_NATIVE_FUSE_OPTIMIZERS=0).
 * Off, tfjs' own `applyGradients` runs on every backend.
 * @param on whether to fuse.
 */
export function setOptimizerFusion(on: boolean): void {
  enabled = on;
}

/** Whether the fused optimizer updates are on. */
export function isOptimizerFusionEnabled(): boolean {
  return enabled;
}

if (process.env.FT_NATIVE_FUSE_OPTIMIZERS === '0') enabled = false;
