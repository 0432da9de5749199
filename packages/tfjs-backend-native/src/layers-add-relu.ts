/**
 * Add + ReLU in one pass for tfjs-layers models on `ft-native`: the `relu(add([y, shortcut]))` that ends every
 * residual block.
 *
 * When, in the model being run, the only reader of a standard `Add` layer with two same-shape float32 inputs is a
 * plain ReLU (`@ft/tfjs-fused-training`'s layer graph), the layer computes y = max(0, a + b) with the kernel `NativeAddRelu` (one pass instead
 * of two) and marks y rectified. The ReLU layer is then the identity and its gradient passes dy through, because
 * `NativeAddRelu`'s own gradient applies the mask: ∂L/∂a = ∂L/∂b = dy · step(y) (step(y) = step(a + b), NaN kept),
 * one `NativeReluGrad` pass. Values equal the standard composition; it applies in training and in inference.
 * Opt out with `setAddReluFusion(false)` or `FT_NATIVE_FUSE_ADD_RELU=0`.
 */

import { type AnyFn, isPlainRelu, type LayerLike, soleConsumer, wrapLayersMethod } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import { binaryKernel } from './kernels/binary.js';
import { type KernelArgs, withFallback } from './kernels/override.js';
import { isBf16 } from './precision.js';
import { RELU_GRAD_KERNEL } from './relu-grad.js';

/** Kernel name of max(0, a + b) on same-shape float32 inputs (output marked rectified). */
export const ADD_RELU_KERNEL = 'NativeAddRelu';

type CallFn = (this: unknown, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => unknown;

let enabled = process.env.FT_NATIVE_FUSE_ADD_RELU !== '0';
let patched = false;
let gradientRegistered = false;
const backends = new Set<string>();

/** The two inputs when this Add call can be fused with the ReLU that reads it; else null. */
function fusableInputs(layer: LayerLike, inputs: tf.Tensor | tf.Tensor[]): [tf.Tensor, tf.Tensor] | null {
  if (!enabled || !backends.has(tf.getBackend()) || !Array.isArray(inputs) || inputs.length !== 2) return null;
  const [a, b] = inputs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.size === 0 || !tf.util.arraysEqual(a.shape, b.shape)) {
    return null;
  }
  const next = soleConsumer(layer);
  return next && isPlainRelu(next) ? [a, b] : null;
}

function addCall(original: CallFn): CallFn {
  return function call(this: unknown, inputs, kwargs) {
    const ab = fusableInputs(this as LayerLike, inputs);
    if (!ab) return original.call(this, inputs, kwargs);
    return tf.engine().runKernel(ADD_RELU_KERNEL, { a: ab[0], b: ab[1] }) as tf.Tensor;
  };
}

/**
 * Installs the fusion on tfjs-layers' `Add` (idempotent; needs tfjs-layers loaded and the model graph scope of
 * `@ft/tfjs-fused-training`'s layer graph, which `patchLayersBatchNorm` installs).
 * @returns whether the class is patched.
 */
export function patchLayersAddRelu(): boolean {
  if (!patched) patched = wrapLayersMethod('Add', 'call', (original) => addCall(original as CallFn) as AnyFn);
  return patched;
}

/**
 * Turns the Add + ReLU fusion off (`false`) or back on (`true`, the default unless FT_NATIVE_FUSE_ADD_RELU=0).
 * @param on whether `Add` layers followed only by a ReLU compute both in one pass.
 */
export function setAddReluFusion(on: boolean): void {
  enabled = on;
}

/**
 * bf16 mode, same-shape inputs (the residual block's case): max(0, a + b) with the bf16 copy the next convolution
 * reads written in the same pass. Null otherwise (the broadcasting float32 kernel runs).
 */
function sameShapeAddReluBf16({ inputs, backend }: KernelArgs): tf.TensorInfo | null {
  if (!isBf16()) return null;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const av = backend.f32(a);
  const bv = backend.f32(b);
  if (!av || !bv || av.length === 0 || av.length !== bv.length || !tf.util.arraysEqual(a.shape, b.shape)) return null;
  const out = backend.alloc(av.length);
  backend.fillWithBf16Copy(out, (ob) => backend.native.addReluSameShape(av, bv, out, ob));
  return backend.out(a.shape.slice(), out);
}

/** Registers `NativeAddRelu` on a backend (once) and its gradient (once). */
export function registerAddRelu(backendName: string): void {
  if (!backends.has(backendName)) {
    const addRelu = binaryKernel('NativeAddRelu');
    const native = (args: KernelArgs) => {
      const out = (sameShapeAddReluBf16(args) ?? addRelu(args)) as tf.TensorInfo | null;
      if (out) args.backend.markRectified(out);
      return out;
    };
    const reference: tf.KernelFunc = ({ inputs, backend }) => {
      const sum = tf.getKernel('Add', 'cpu').kernelFunc({ inputs, backend }) as tf.TensorInfo;
      const out = tf.getKernel('Relu', 'cpu').kernelFunc({ inputs: { x: sum }, backend });
      (backend as { disposeIntermediateTensorInfo(t: tf.TensorInfo): void }).disposeIntermediateTensorInfo(sum);
      return out;
    };
    tf.registerKernel({
      kernelName: ADD_RELU_KERNEL,
      backendName,
      kernelFunc: withFallback(ADD_RELU_KERNEL, native, reference),
    });
    backends.add(backendName);
  }
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: ADD_RELU_KERNEL,
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const masked = tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0] }) as tf.Tensor;
        return { a: () => masked, b: () => masked.clone() };
      },
    });
    gradientRegistered = true;
  }
}
