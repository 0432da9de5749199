/**
 * Gradient overrides that only act on this package's backends. tfjs registers kernel gradients globally by kernel
 * name, so a backend that wants its own gradient for a standard op (one native pass instead of tfjs' composition)
 * registers a wrapper that takes the native path while one of its backends is active and the inputs suit it, and
 * otherwise runs the gradient that was registered before (tfjs-core's), or a reference formula when tfjs' gradients
 * are not loaded yet. If tfjs' gradients are registered again later (importing tfjs-layers after registration),
 * theirs win and results stay the same, only unfused.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Gradient functions by input name, as a tfjs `GradConfig.gradFunc` returns them. */
export type GradientMap = Record<string, () => tf.Tensor>;

/** A native gradient: the gradient map, or null when it does not apply (then the previous gradient runs). */
export type NativeGradient = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradientMap | null;

const overridden = new Set<string>();

/**
 * Registers (once per kernel name) the backend-gated gradient of `kernelName`.
 * @param kernelName the standard kernel, e.g. `'Relu'`.
 * @param inputsToSave inputs its gradient needs.
 * @param backends the backends on which `native` applies (read at gradient time).
 * @param native the native gradient.
 * @param reference tfjs' formula, used off these backends when no gradient was registered before.
 */
export function overrideGradientOnBackends(
  kernelName: string,
  inputsToSave: string[],
  backends: ReadonlySet<string>,
  native: NativeGradient,
  reference: (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradientMap,
): void {
  if (overridden.has(kernelName)) return;
  const previous = tf.getGradient(kernelName);
  tf.registerGradient({
    kernelName,
    inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const d = dy as tf.Tensor;
      const own = backends.has(tf.getBackend()) ? native(d, saved, attrs) : null;
      if (own) return own;
      return previous ? previous.gradFunc(dy, saved, attrs) : reference(d, saved, attrs);
    },
  });
  overridden.add(kernelName);
}
