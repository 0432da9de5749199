/**
 * Fused optimizer updates on `ft-native`: the `FtSGDUpdate`, `FtMomentumUpdate` and `FtAdamUpdate` kernels of
 * `@ft/tfjs-fused-training`, whose `applyGradients` overrides of tfjs-core's SGD, momentum and Adam optimizers call
 * them (one kernel per variable instead of a chain of 2, 4 and ~14: ~2 % of a ResNet-20 step with momentum and ~6 %
 * with Adam). Each evaluates tfjs' float32 op sequence (one rounding per op, no fused multiply-add), so the new values
 * are bit-identical to tfjs'. Disable with `registerNativeBackend({ fuseOptimizers: false })`,
 * `FT_NATIVE_FUSE_OPTIMIZERS=0` (this backend) or `setOptimizerFusion(false)` / `FT_FUSE_OPTIMIZERS=0` (every
 * backend).
 */
import { FUSED_OPTIMIZER_KERNELS, installFusedOptimizers, setOptimizerFusion } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';

/** Kernel names of the fused updates (the contract is `@ft/tfjs-fused-training`'s `FUSED_OPTIMIZER_KERNELS`). */
export const OPTIMIZER_KERNELS = FUSED_OPTIMIZER_KERNELS;

type Info = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: NativeBackend; attrs?: tf.NamedAttrMap };

const fusedBackends = new Set<string>();

function f32Inputs(backend: NativeBackend, inputs: tf.NamedTensorInfoMap, names: string[]): Float32Array[] {
  return names.map((n) => {
    const v = backend.f32(inputs[n] as Info);
    if (!v) throw new Error(`fused optimizer update: input '${n}' is not float32`);
    return v;
  });
}

/** The value of a float32 scalar input. */
function scalarInput(backend: NativeBackend, inputs: tf.NamedTensorInfoMap, name: string): number {
  return f32Inputs(backend, inputs, [name])[0][0];
}

function sgdKernel({ inputs, backend }: KernelArgs): Info {
  const [value, grad] = f32Inputs(backend, inputs, ['param', 'grad']);
  const out = backend.alloc(value.length);
  backend.native.sgdUpdate(value, grad, out, scalarInput(backend, inputs, 'c'));
  return backend.out((inputs.param as Info).shape.slice(), out);
}

function momentumKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const [value, acc, grad] = f32Inputs(backend, inputs, ['param', 'acc', 'grad']);
  const newValue = backend.alloc(value.length);
  const newAcc = backend.alloc(value.length);
  backend.native.momentumUpdate(
    value,
    acc,
    grad,
    newValue,
    newAcc,
    scalarInput(backend, inputs, 'momentum'),
    scalarInput(backend, inputs, 'c'),
    attrs?.nesterov ? 1 : 0,
  );
  const shape = (inputs.param as Info).shape;
  return [backend.out(shape.slice(), newValue), backend.out(shape.slice(), newAcc)];
}

function adamKernel({ inputs, backend, attrs }: KernelArgs): Info[] {
  const [value, m, v, grad] = f32Inputs(backend, inputs, ['param', 'm', 'v', 'grad']);
  // tfjs: oneMinusAccBeta = sub(1, accBeta) on float32 scalars (exact in double, then rounded once).
  const oneMinusAccBeta1 = Math.fround(1 - scalarInput(backend, inputs, 'accBeta1'));
  const oneMinusAccBeta2 = Math.fround(1 - scalarInput(backend, inputs, 'accBeta2'));
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
    oneMinusAccBeta1,
    oneMinusAccBeta2,
    a('epsilon'),
    a('negLr'),
  );
  const shape = (inputs.param as Info).shape;
  return outs.map((o) => backend.out(shape.slice(), o));
}

/**
 * Registers the fused-update kernels on `backendName` (when the addon has them) and installs
 * `@ft/tfjs-fused-training`'s optimizer overrides (once per process).
 * @param backendName the native backend's name.
 * @param addon the loaded addon.
 */
export function registerFusedOptimizers(backendName: string, addon: { adamUpdate?: unknown }): void {
  if (process.env.FT_NATIVE_FUSE_OPTIMIZERS === '0') setOptimizerFusion(false, backendName);
  if (fusedBackends.has(backendName)) return;
  if (typeof addon.adamUpdate !== 'function') return; // an addon built before these kernels
  const reg = (kernelName: string, kernelFunc: (a: KernelArgs) => Info | Info[]) =>
    tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  reg(OPTIMIZER_KERNELS.sgd, sgdKernel);
  reg(OPTIMIZER_KERNELS.momentum, momentumKernel);
  reg(OPTIMIZER_KERNELS.adam, adamKernel);
  fusedBackends.add(backendName);
  installFusedOptimizers();
}

export { isOptimizerFusionEnabled, setOptimizerFusion } from '@ft/tfjs-fused-training';
