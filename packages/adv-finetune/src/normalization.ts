/**
 * `withNormalization`: put the input normalisation inside the model, so that attacks, ε and clipping all live in
 * [0, 1] pixel space. Mixing the two spaces (attacking a normalised tensor, or a model that expects normalised
 * inputs fed raw pixels) is the most common mistake in every attack library (torchattacks#1, auto-attack#13,
 * robustness#38, advertorch#60).
 *
 * The normalisation y_c = (x_c − mean_c) / std_c is a frozen 1×1 depthwise convolution (kernel 1/std_c, bias
 * −mean_c/std_c): a standard tfjs-layers layer, so saved models load in plain tfjs without custom classes.
 */

import { InvalidArgumentError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Returns a new LayersModel `x ↦ model((x − mean)/std)` that takes [0, 1] inputs. The wrapped model is shared
 * (not copied): training the result trains it.
 * @param model a LayersModel with one NHWC input.
 * @param mean per-channel means (or one number for all channels).
 * @param std per-channel standard deviations (> 0; or one number).
 * @throws InvalidArgumentError for a non-image input, wrong channel counts or std ≤ 0.
 */
export function withNormalization(
  model: tfl.LayersModel,
  mean: number | readonly number[],
  std: number | readonly number[],
): tfl.LayersModel {
  if (model.inputs.length !== 1) {
    throw new InvalidArgumentError(`withNormalization: model '${model.name}' must have one input`);
  }
  const shape = model.inputs[0].shape;
  if (shape.length !== 4 || shape.slice(1).some((d) => d == null)) {
    throw new InvalidArgumentError(
      `withNormalization: model '${model.name}' input shape [${shape.map((d) => d ?? 'N')}] is not a fixed NHWC image shape`,
    );
  }
  const c = shape[3] as number;
  const m = typeof mean === 'number' ? new Array(c).fill(mean) : [...mean];
  const s = typeof std === 'number' ? new Array(c).fill(std) : [...std];
  if (m.length !== c || s.length !== c) {
    throw new InvalidArgumentError(
      `withNormalization: model '${model.name}' has ${c} input channels, got ${m.length} means and ${s.length} stds`,
    );
  }
  for (let i = 0; i < c; i++) {
    if (!Number.isFinite(m[i])) throw new InvalidArgumentError(`withNormalization: mean[${i}] = ${m[i]} is not finite`);
    if (!(s[i] > 0 && Number.isFinite(s[i]))) {
      throw new InvalidArgumentError(`withNormalization: std[${i}] = ${s[i]} must be > 0`);
    }
  }
  const init = [
    tf.tensor4d(
      s.map((v) => 1 / v),
      [1, 1, c, 1],
    ),
    tf.tensor1d(m.map((v, i) => -v / s[i])),
  ];
  const input = tfl.input({ shape: shape.slice(1) as number[], name: `${model.name}_pixels` });
  const norm = tfl.layers.depthwiseConv2d({
    kernelSize: 1,
    depthMultiplier: 1,
    useBias: true,
    trainable: false,
    name: `${model.name}_normalize`,
    weights: init,
  });
  const y = norm.apply(input) as tfl.SymbolicTensor;
  tf.dispose(init); // copied into the layer's variables when it was built
  const out = model.apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: `${model.name}_normalized` });
}
