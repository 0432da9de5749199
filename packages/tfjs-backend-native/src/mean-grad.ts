/**
 * A one-pass Mean gradient on `ft-native`. tfjs-core's is `div(mul(reshape(dy), ones(x.shape)), n)`: it fills a
 * ones tensor the size of x in JS and makes two broadcasting passes — the gradient of global average pooling in
 * every CNN head (~1 ms of a ResNet-20 step at batch 128). `NativeMeanGrad` writes reshape(dy) / n broadcast to
 * x's shape in one native pass; the division is the same float32 operation, so results are bit-identical. The
 * override only changes behaviour while this backend is active (tfjs' own gradient runs elsewhere), like the Relu
 * gradient in relu-grad.ts (both through backend-gradient.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { overrideGradientOnBackends } from './backend-gradient.js';
import { BINARY_OPS } from './kernels/binary.js';

/** Kernel name of the fused Mean gradient. */
export const MEAN_GRAD_KERNEL = 'NativeMeanGrad';

const backends = new Set<string>();

function meanGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: NativeBackend; attrs?: tf.NamedAttrMap }) {
  const { inputs, backend } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const shape = [...((args.attrs?.shape as number[] | undefined) ?? [])];
  const dyv = backend.f32(dy);
  if (!dyv) throw new Error(`${MEAN_GRAD_KERNEL}: dy must be float32`);
  const out = backend.alloc(tf.util.sizeFromShape(shape));
  if (out.length > 0) {
    backend.native.binary(
      BINARY_OPS.RealDiv,
      dyv,
      Int32Array.from(dy.shape),
      Float32Array.of(Number(args.attrs?.size)),
      new Int32Array(0),
      out,
      Int32Array.from(shape),
    );
  }
  return backend.out(shape, out);
}

/**
 * Registers `NativeMeanGrad` on `backendName` and (once) the Mean gradient override.
 * @param backendName the native backend's name.
 */
export function registerMeanGrad(backendName: string): void {
  if (!backends.has(backendName)) {
    tf.registerKernel({
      kernelName: MEAN_GRAD_KERNEL,
      backendName,
      kernelFunc: meanGradKernel as unknown as tf.KernelFunc,
    });
    backends.add(backendName);
  }
  overrideGradientOnBackends(
    'Mean',
    ['x'],
    backends,
    (dy, [x], attrs) => {
      if (dy.dtype !== 'float32' || x.rank > 8) return null;
      const { expanded, size } = meanGeometry(x, attrs);
      const inputs = { dy: tf.reshape(dy, expanded) };
      return { x: () => tf.engine().runKernel(MEAN_GRAD_KERNEL, inputs, { shape: x.shape, size }) as tf.Tensor };
    },
    (dy, [x], attrs) => {
      // tfjs-core's formula.
      const { expanded, size } = meanGeometry(x, attrs);
      return { x: () => tf.div(tf.mul(tf.reshape(dy, expanded), tf.ones(x.shape)), size) };
    },
  );
}

/** dy's shape with the reduced axes kept as 1, and the number of elements averaged. */
function meanGeometry(x: tf.Tensor, attrs: tf.NamedAttrMap): { expanded: number[]; size: number } {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  return { expanded, size: axes.reduce((p, a) => p * x.shape[a], 1) };
}
