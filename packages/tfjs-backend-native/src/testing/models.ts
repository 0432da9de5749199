/**
 * Small CIFAR-style ResNets (He et al. 2016, arXiv:1512.03385, §4.2: 6n+2 layers, 16/32/64 channels, BN, 1×1
 * projection shortcuts where the shape changes, global average pooling, dense softmax head) and a TinyCNN, built
 * with standard tfjs-layers classes, for the training tests. The benchmark builds the same architectures.
 */
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * ResNet-(6n+2).
 * @param n basic blocks per stage (1 → ResNet-8, 3 → ResNet-20).
 * @param inputShape [H, W, C].
 * @param classes output classes.
 */
export function resnet(n: number, inputShape: [number, number, number], classes = 10): tfl.LayersModel {
  const input = tfl.input({ shape: inputShape });
  const conv = (filters: number, k: number, s: number) =>
    tfl.layers.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', useBias: false });
  const bn = () => tfl.layers.batchNormalization({ axis: -1 });
  const relu = () => tfl.layers.activation({ activation: 'relu' });
  let x = relu().apply(bn().apply(conv(16, 3, 1).apply(input))) as tfl.SymbolicTensor;
  let channels = 16;
  for (const [stage, filters] of [16, 32, 64].entries()) {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      let y = relu().apply(bn().apply(conv(filters, 3, stride).apply(x))) as tfl.SymbolicTensor;
      y = bn().apply(conv(filters, 3, 1).apply(y)) as tfl.SymbolicTensor;
      let shortcut = x;
      if (stride !== 1 || channels !== filters) {
        shortcut = bn().apply(conv(filters, 1, stride).apply(x)) as tfl.SymbolicTensor;
      }
      x = relu().apply(tfl.layers.add().apply([y, shortcut])) as tfl.SymbolicTensor;
      channels = filters;
    }
  }
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/**
 * TinyCNN: conv3×3(32)-BN-ReLU-maxpool2 → conv3×3(64)+ReLU-maxpool2 → dense softmax (perf.md §1).
 * @param inputShape [H, W, C].
 * @param width channels of the first conv (second has twice as many).
 */
export function tinyCnn(inputShape: [number, number, number], classes = 10, width = 32): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape, filters: width, kernelSize: 3, padding: 'same' }),
      tfl.layers.batchNormalization({}),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 2 * width, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

/**
 * relu(add([a, b])): the tail of a residual block, as a two-input model.
 * @param shape shape of each input without the batch axis.
 */
export function residualTail(shape: number[]): tfl.LayersModel {
  const a = tfl.input({ shape });
  const b = tfl.input({ shape });
  const y = tfl.layers.activation({ activation: 'relu' }).apply(tfl.layers.add().apply([a, b])) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [a, b], outputs: y });
}
