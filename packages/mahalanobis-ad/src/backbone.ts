/**
 * Source backbones for Gaussian AD (loaded by reference with core `loadModelRef`): for fully convolutional nets such
 * as the core ResNets and CNNs, rebuild one for another input size (e.g. a 28×28 MNIST ResNet-8 applied to 64×64 synthetic MVTec textures: the conv kernels do not depend on
 * the spatial size, global average pooling removes it).
 */
import { type ImageShape, InvalidArgumentError, ShapeError, useFtBatchNormInTopology } from '@ft/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { modelInputShape } from './features.js';

/**
 * A copy of `model` whose input layer takes `[H, W, C]` images, with the same weights (the topology is rebuilt from
 * its JSON with a new `batch_input_shape`). Works for nets whose weights do not depend on the spatial size (convs,
 * BN, global pooling, dense after GAP); a Flatten → Dense net fails with a `ShapeError` from the weight shapes.
 * Returns `model` itself when the shape already matches.
 * @param model a single-input NHWC LayersModel
 * @param shape the new `[H, W, C]`; C must equal the model's channels
 */
export async function withInputShape(model: tfl.LayersModel, shape: ImageShape): Promise<tfl.LayersModel> {
  const cur = modelInputShape(model);
  if (cur[0] === shape[0] && cur[1] === shape[1] && cur[2] === shape[2]) return model;
  if (shape[2] !== cur[2]) {
    throw new ShapeError(
      `withInputShape: the backbone takes ${cur[2]} channel(s), the images have ${shape[2]}; load the images with ${cur[2]} channel(s)`,
    );
  }
  const topology = model.toJSON(null, false) as unknown as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  // A functional model declares its input in an InputLayer; a Sequential one in its first layer's config.
  const layers = topology.config.layers;
  const input =
    layers.find((l) => l.class_name === 'InputLayer') ?? (layers[0]?.config.batch_input_shape ? layers[0] : undefined);
  if (!input) throw new InvalidArgumentError(`withInputShape: model '${model.name}' declares no input shape`);
  input.config.batch_input_shape = [null, ...shape];
  useFtBatchNormInTopology(topology);
  const rebuilt = await tfl.models.modelFromJSON({
    modelTopology: topology as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]['modelTopology'],
  });
  try {
    rebuilt.setWeights(model.getWeights());
  } catch (e) {
    rebuilt.dispose();
    throw new ShapeError(
      `withInputShape: the weights of '${model.name}' do not fit a ${shape.join('×')} input: ${(e as Error).message}`,
    );
  }
  return rebuilt;
}
