/**
 * Fused optimizer updates on `ft-webgpu`: the `FtSGDUpdate`, `FtMomentumUpdate` and `FtAdamUpdate` kernels of
 * `@ft/tfjs-fused-training` (see its `FUSED_OPTIMIZER_KERNELS` for the contract), which its `applyGradients`
 * overrides of tfjs-core's SGD, momentum and Adam optimizers call once per variable.
 *
 * tfjs applies these updates as chains of 2 (SGD), 4 (momentum) and ~14 (Adam) elementwise dispatches per variable,
 * each a full pass over the variable in GPU memory. Here each output is one elementwise dispatch: SGD 1, momentum 2
 * (acc', param'), Adam 3 (m', v', param'; the param' pass recomputes m' and v' in registers rather than reading
 * them back). The scalars (−lr, the momentum, β₁ᵗ, β₂ᵗ) stay on the device as inputs; Adam's constants are uniforms,
 * so a learning-rate schedule recompiles nothing. The arithmetic follows tfjs' operation order in f32; WGSL's
 * division and square root are not correctly rounded, so values agree with tfjs to a few ulp, not bit for bit.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementwiseProgram, type WebGpuBackendLike } from './program.js';

/** An elementwise update program (see {@link elementwiseProgram}); `key` names the update. */
const elementwise = (key: string, shape: number[], variableNames: string[], body: string, uniforms = '') =>
  elementwiseProgram(`ftOptimizer_${key}`, shape, variableNames, body, uniforms);

type Args = { inputs: Record<string, TensorInfo>; backend: WebGpuBackendLike; attrs?: Record<string, unknown> };

function sgd({ inputs, backend }: Args): TensorInfo {
  const { param, grad, c } = inputs;
  const body = '    let value = negLr[0] * grad[index] + param[index];';
  return backend.runWebGPUProgram(
    elementwise('sgd', param.shape, ['param', 'grad', 'negLr'], body),
    [param, grad, c],
    'float32',
  );
}

function momentum({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { param, acc, grad } = inputs;
  const names = ['param', 'acc', 'grad', 'mom', 'negLr'];
  const list = [param, acc, grad, inputs.momentum, inputs.c];
  const newAcc = '    let a = mom[0] * acc[index] + grad[index];';
  const nesterov = Boolean(attrs?.nesterov);
  const accProgram = elementwise('momentumAcc', param.shape, names.slice(1, 4), `${newAcc}\n    let value = a;`);
  const step = nesterov ? 'negLr[0] * (grad[index] + a * mom[0])' : 'negLr[0] * a';
  const paramProgram = elementwise(
    `momentumParam_${nesterov}`,
    param.shape,
    names,
    `${newAcc}\n    let value = ${step} + param[index];`,
  );
  return [
    backend.runWebGPUProgram(paramProgram, list, 'float32'),
    backend.runWebGPUProgram(accProgram, list.slice(1, 4), 'float32'),
  ];
}

const ADAM_UNIFORMS = 'beta1 : f32, beta2 : f32, oneMinusBeta1 : f32, oneMinusBeta2 : f32, epsilon : f32, negLr : f32,';
const ADAM_M = '    let m = m1[index] * uniforms.beta1 + grad[index] * uniforms.oneMinusBeta1;';
const ADAM_V = '    let v = m2[index] * uniforms.beta2 + (grad[index] * grad[index]) * uniforms.oneMinusBeta2;';
const ADAM_PARAM = `${ADAM_M}
${ADAM_V}
    let mHat = m / (1.0 - accBeta1[0]);
    let vHat = v / (1.0 - accBeta2[0]);
    let value = (mHat / (sqrt(vHat) + uniforms.epsilon)) * uniforms.negLr + param[index];`;

function adam({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { param } = inputs;
  const names = ['param', 'm1', 'm2', 'grad', 'accBeta1', 'accBeta2'];
  const list = [param, inputs.m, inputs.v, inputs.grad, inputs.accBeta1, inputs.accBeta2];
  const a = (k: string) => Number(attrs?.[k]);
  const uniforms = [
    { type: 'float32' as const, data: [a('beta1')] },
    { type: 'float32' as const, data: [a('beta2')] },
    { type: 'float32' as const, data: [a('oneMinusBeta1')] },
    { type: 'float32' as const, data: [a('oneMinusBeta2')] },
    { type: 'float32' as const, data: [a('epsilon')] },
    { type: 'float32' as const, data: [a('negLr')] },
  ];
  // Each program binds only the inputs its shader reads: tfjs compiles with an 'auto' layout, which drops unread ones.
  const run = (key: string, used: number[], body: string) =>
    backend.runWebGPUProgram(
      elementwise(
        key,
        param.shape,
        used.map((i) => names[i]),
        body,
        ADAM_UNIFORMS,
      ),
      used.map((i) => list[i]),
      'float32',
      uniforms,
    );
  return [
    run('adamParam', [0, 1, 2, 3, 4, 5], ADAM_PARAM),
    run('adamM', [1, 3], `${ADAM_M}\n    let value = m;`),
    run('adamV', [2, 3], `${ADAM_V}\n    let value = v;`),
  ];
}

/** The three kernels by their `@ft/tfjs-fused-training` names' keys. */
export const OPTIMIZER_UPDATE_KERNELS: Record<'sgd' | 'momentum' | 'adam', KernelFunc> = {
  sgd: sgd as unknown as KernelFunc,
  momentum: momentum as unknown as KernelFunc,
  adam: adam as unknown as KernelFunc,
};
