/**
 * The benchmark architectures, built with standard tfjs-layers classes; torch_bench.py builds identical ones.
 * - TinyCNN (28×28×1): conv3×3(1→32, same) → BN → ReLU → maxpool2 → conv3×3(32→64, same) + ReLU → maxpool2 →
 *   dense(3136→10, softmax).
 * - ResNet-(6n+2) (He et al. 2016, arXiv:1512.03385 §4.2): conv3×3(16)-BN-ReLU, three stages of n basic blocks
 *   with 16/32/64 channels (first block of stages 2–3 has stride 2 and a 1×1 conv + BN projection shortcut),
 *   global average pooling, dense(64→10, softmax). Convolutions have no bias (BN follows). n=1: ResNet-8, n=3:
 *   ResNet-20.
 */

/** Model specs by key. */
export const MODELS = {
  tiny: { name: 'TinyCNN', input: [28, 28, 1], build: (tfl, input) => tinyCnn(tfl, input) },
  resnet8: { name: 'ResNet-8', input: [32, 32, 3], build: (tfl, input) => resnet(tfl, 1, input) },
  resnet20: { name: 'ResNet-20', input: [32, 32, 3], build: (tfl, input) => resnet(tfl, 3, input) },
  resnet20g: { name: 'ResNet-20 (28×28×1)', input: [28, 28, 1], build: (tfl, input) => resnet(tfl, 3, input) },
};

function tinyCnn(tfl, inputShape) {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape, filters: 32, kernelSize: 3, padding: 'same' }),
      tfl.layers.batchNormalization({}),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function resnet(tfl, n, inputShape) {
  const input = tfl.input({ shape: inputShape });
  const conv = (filters, k, s) =>
    tfl.layers.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', useBias: false });
  const bn = () => tfl.layers.batchNormalization({ axis: -1 });
  const relu = () => tfl.layers.activation({ activation: 'relu' });
  let x = relu().apply(bn().apply(conv(16, 3, 1).apply(input)));
  let channels = 16;
  for (const [stage, filters] of [16, 32, 64].entries()) {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      let y = relu().apply(bn().apply(conv(filters, 3, stride).apply(x)));
      y = bn().apply(conv(filters, 3, 1).apply(y));
      let shortcut = x;
      if (stride !== 1 || channels !== filters) shortcut = bn().apply(conv(filters, 1, stride).apply(x));
      x = relu().apply(tfl.layers.add().apply([y, shortcut]));
      channels = filters;
    }
  }
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const out = tfl.layers.dense({ units: 10, activation: 'softmax' }).apply(x);
  return tfl.model({ inputs: input, outputs: out });
}

/**
 * Distinct convolution layers of a model at a batch size: {label, n, h, w, c, oc, k, s} (same padding).
 * @param model a built tfjs-layers model.
 * @param batch batch size.
 */
export function convLayers(model, batch) {
  const seen = new Map();
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Conv2D') continue;
    const [, h, w, c] = layer.input.shape;
    const [k] = layer.kernelSize;
    const [s] = layer.strides;
    const oc = layer.filters;
    const key = `${h}x${w}x${c}->${oc} k${k} s${s}`;
    if (!seen.has(key)) seen.set(key, { label: key, n: batch, h, w, c, oc, k, s, count: 0 });
    seen.get(key).count++;
  }
  return [...seen.values()];
}
