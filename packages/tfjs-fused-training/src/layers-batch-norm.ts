/**
 * Routes the training forward of tfjs-layers' standard `BatchNormalization` layer through the fused BatchNorm op
 * (`batch-norm.ts`) while the active backend registers its kernels (`ft-native`, `ft-webgpu`).
 *
 * Design: of the two options — a backend-gated override of the standard layer, or a custom layer that serialises as
 * the standard `BatchNormalization` — this is the first:
 * - the interception sits above the kernel level, on the standard layer class found through tfjs' serialization
 *   registry (no import of tfjs-layers, no deep `dist/` path): its `call` takes the fused path only when the
 *   layer is training, the backend has the fused kernels, the input is float32 and the axis is the last one; every
 *   other case runs the original method unchanged;
 * - the model still consists of standard `BatchNormalization` layers with the same weights, so saved models load in
 *   plain tfjs, and results equal the standard math (same momentum/ε semantics and moving-variance update
 *   `m ← m − (m − v)(1 − momentum)` with the biased batch variance).
 * Why at the layer class and not in a custom layer: plain tfjs-layers models get the fusion without code changes.
 * Where the backend also registers `FtBatchNormReluTrain` / `FtBatchNormReluInfer`, a layer whose only consumer is a
 * ReLU computes max(0, y) in the same pass (the backend makes the following ReLU free).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backendHasKernel,
  batchNormTrain,
  FUSED_BATCH_NORM_KERNELS,
  fusedBatchNormActive,
  registerBatchNormGradients,
} from './batch-norm.js';
import {
  type AnyFn,
  type LayerLike,
  onlyReluFollows,
  patchModelGraphScope,
  recordingGradients,
  wrapLayersMethod,
} from './layer-graph.js';

interface LayerVariableLike {
  read(): tf.Tensor;
  write(v: tf.Tensor): unknown;
}

interface BatchNormLayerLike {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: LayerVariableLike | null;
  beta?: LayerVariableLike | null;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}

type CallFn = (this: BatchNormLayerLike, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => unknown;

let patched = false;
let disabled = false;
let reluFusion = process.env.FT_NATIVE_FUSE_BN_RELU !== '0';

/**
 * True when, in the model being run, this layer's only consumer is a ReLU (see layer-graph.ts): then the ReLU can be
 * computed inside the BatchNorm pass without changing any value the model exposes.
 */
function reluFollows(layer: BatchNormLayerLike, kernel: string): boolean {
  return reluFusion && backendHasKernel(kernel) && onlyReluFollows(layer as unknown as LayerLike);
}

/** Same rule as tfjs-layers' `doMovingAverage`: m ← m − (m − value)(1 − momentum). */
function movingAverage(variable: LayerVariableLike, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/** Inference BatchNorm + ReLU in one pass (moving statistics), for a layer whose only consumer is a ReLU. */
function inferWithRelu(layer: BatchNormLayerLike, input: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = {
      x: input,
      mean: layer.movingMean.read(),
      variance: layer.movingVariance.read(),
    };
    if (layer.beta) inputs.offset = layer.beta.read();
    if (layer.gamma) inputs.scale = layer.gamma.read();
    return tf
      .engine()
      .runKernel(FUSED_BATCH_NORM_KERNELS.reluInfer, inputs, { varianceEpsilon: layer.epsilon }) as tf.Tensor;
  });
}

/** The input when the fused kernels can take this call: the backend has them, float32, rank ≥ 2, channels last. */
function fusableInput(layer: BatchNormLayerLike, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  if (disabled || !input || !fusedBatchNormActive() || input.dtype !== 'float32' || input.rank < 2) return null;
  if (input.size === 0) return null;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + input.rank;
  return axis === input.rank - 1 ? input : null;
}

function makeCall(original: CallFn): CallFn {
  return function call(this: BatchNormLayerLike, inputs, kwargs) {
    const input = fusableInput(this, inputs);
    if (!input) return original.call(this, inputs, kwargs);
    if (!(kwargs?.training ?? false)) {
      // Prediction: only the BN + ReLU pass is ours, and never while gradients are recorded (frozen-BN fine-tuning).
      if (reluFollows(this, FUSED_BATCH_NORM_KERNELS.reluInfer) && !recordingGradients()) {
        return inferWithRelu(this, input);
      }
      return original.call(this, inputs, kwargs);
    }
    const withRelu = reluFollows(this, FUSED_BATCH_NORM_KERNELS.reluTrain);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTrain(
        input,
        (this.gamma?.read() as tf.Tensor1D | undefined) ?? null,
        (this.beta?.read() as tf.Tensor1D | undefined) ?? null,
        this.epsilon,
        { relu: withRelu },
      );
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
}

/**
 * Installs the fused training path on tfjs-layers' `BatchNormalization` (idempotent). Needs tfjs-layers to be
 * loaded (it registers the class in tfjs' serialization map); the backends call this when they register, and retry
 * on their first FusedBatchNorm kernel if tfjs-layers was imported later.
 * @returns whether the layer class is patched.
 */
export function patchLayersBatchNorm(): boolean {
  if (patched) return true;
  patched =
    patchModelGraphScope() &&
    wrapLayersMethod('BatchNormalization', 'call', (original) => makeCall(original as CallFn) as AnyFn);
  return patched;
}

/**
 * Turns the fused path of standard BatchNormalization layers off (`false`) or back on (`true`, the default), e.g.
 * to compare against the standard composition on the same backend.
 * @param enabled whether patched layers may use the fused kernels.
 */
export function setLayersBatchNormFusion(enabled: boolean): void {
  disabled = !enabled;
}

/**
 * Turns the BatchNorm + ReLU fusion of training steps off (`false`) or back on (`true`, the default unless
 * FT_NATIVE_FUSE_BN_RELU=0). On, on a backend with `FtBatchNormReluTrain`, a BatchNormalization layer whose only
 * consumer is a ReLU computes max(0, y) in its own pass, and that ReLU (forward and gradient) becomes free.
 * @param enabled whether to fuse.
 */
export function setBatchNormReluFusion(enabled: boolean): void {
  reluFusion = enabled;
}

/** Whether tfjs-layers' BatchNormalization is currently patched. */
export function isLayersBatchNormPatched(): boolean {
  return patched;
}

/**
 * What a backend calls when it registers the fused BatchNorm kernels: the kernels' gradients (once per process) and
 * the `BatchNormalization` patch (when tfjs-layers is loaded; call again later otherwise).
 * @param options `patchLayers: false` registers only the gradients (direct {@link batchNormTrain} callers).
 * @returns whether tfjs-layers' BatchNormalization is patched.
 */
export function installFusedBatchNorm(options: { patchLayers?: boolean } = {}): boolean {
  registerBatchNormGradients();
  return options.patchLayers === false ? isLayersBatchNormPatched() : patchLayersBatchNorm();
}
