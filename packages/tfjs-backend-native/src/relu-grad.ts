/**
 * A one-pass Relu gradient on `ft-native`. tfjs-core's Relu gradient is `mul(dy, cast(step(x), 'float32'))`: two
 * full passes and an extra buffer per ReLU in every training step. This registers a kernel `NativeReluGrad`
 * (dy · step(x), bit-identical) on the native backend and re-registers the Relu gradient so that it uses the kernel
 * while `ft-native` is active and tfjs-core's own gradient function otherwise. Kernel gradients are global by
 * kernel name in tfjs, so this is a gradient override of the standard op that only changes behaviour on this
 * backend. If tfjs' gradients are (re-)registered later (importing tfjs-layers after registration), theirs win and
 * results stay identical, only without the fusion.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { overrideGradientOnBackends } from './backend-gradient.js';
import { binaryKernel } from './kernels/binary.js';
import { withFallback } from './kernels/override.js';

/** Kernel name of the fused Relu gradient. */
export const RELU_GRAD_KERNEL = 'NativeReluGrad';

const backends = new Set<string>();

/**
 * Registers `NativeReluGrad` on `backendName` and (once) the Relu gradient override.
 * @param backendName the native backend's name.
 */
export function registerReluGrad(backendName: string): void {
  if (!backends.has(backendName)) {
    const reference: tf.KernelFunc = ({ inputs, backend }) => {
      // Only reached if the native path declines (e.g. non-float32): tfjs' formula with the cpu kernels.
      const step = tf.getKernel('Step', 'cpu').kernelFunc({ inputs: { x: inputs.x }, backend, attrs: { alpha: 0 } });
      const out = tf
        .getKernel('Multiply', 'cpu')
        .kernelFunc({ inputs: { a: inputs.dy, b: step as tf.TensorInfo }, backend });
      (backend as { disposeIntermediateTensorInfo(t: tf.TensorInfo): void }).disposeIntermediateTensorInfo(
        step as tf.TensorInfo,
      );
      return out;
    };
    tf.registerKernel({
      kernelName: RELU_GRAD_KERNEL,
      backendName,
      kernelFunc: withFallback(RELU_GRAD_KERNEL, binaryKernel('NativeReluGrad'), reference),
    });
    backends.add(backendName);
  }
  overrideGradientOnBackends(
    'Relu',
    ['x'],
    backends,
    (dy, [x]) => {
      if (dy.dtype !== 'float32' || x.dtype !== 'float32') return null;
      // x from a BatchNorm fused with ReLU: that op's gradient applies the mask, so dy passes through.
      if ((tf.backend() as NativeBackend).isRectified(x)) return { x: () => dy.clone() };
      return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tf.Tensor };
    },
    (dy, [x]) => ({ x: () => tf.mul(dy, tf.cast(tf.step(x), 'float32')) }),
  );
}
