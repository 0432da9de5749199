/**
 * A two-output view of a classifier, [pooled features, logits], from one forward pass: what AKC and ARC need from the
 * source and target models (Abuduweili et al., CVPR 2021, use the last block's global-average-pooled output).
 */
import { featureExtractor, InvalidArgumentError } from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The name of the layer that feeds `model`'s output layer (e.g. the `flatten` or `gap` before the head).
 * @throws InvalidArgumentError for a model with several outputs or an output layer fed by several layers.
 */
export function penultimateLayerName(model: tfl.LayersModel): string {
  if (model.outputs.length !== 1) {
    throw new InvalidArgumentError(`featureTap: model '${model.name}' has ${model.outputs.length} outputs; need 1`);
  }
  const head = model.outputs[0].sourceLayer;
  const inbound = head.inboundNodes[0]?.inboundLayers ?? [];
  if (inbound.length !== 1) {
    throw new InvalidArgumentError(
      `featureTap: the output layer '${head.name}' of model '${model.name}' has ${inbound.length} inputs; name the tap layer`,
    );
  }
  return inbound[0].name;
}

/**
 * A LayersModel sharing `model`'s weights whose outputs are [features, logits]: `features` the output of `layer`
 * (global-average-pooled when it is a rank-4 map; rank-2 passes through), `logits` the model's output. Call it with
 * `apply(x, { training })` inside a training step, or `predict` (BatchNorm in inference mode). Built on
 * `featureExtractor` of @ft/core.
 * @param model a single-output classifier (LayersModel).
 * @param layer the tap layer's name [the layer that feeds the output layer].
 * @throws InvalidArgumentError naming the layer when `model` has no such layer (and listing the available ones).
 */
export function featureTap(model: tfl.LayersModel, layer?: string): tfl.LayersModel {
  const tap = layer ?? penultimateLayerName(model);
  if (model.outputs.length !== 1) {
    throw new InvalidArgumentError(`featureTap: model '${model.name}' has ${model.outputs.length} outputs; need 1`);
  }
  const out = model.outputs[0].sourceLayer.name;
  if (tap === out) {
    throw new InvalidArgumentError(`featureTap: the tap '${tap}' is the output layer of model '${model.name}'`, {
      name: tap,
    });
  }
  return featureExtractor(model, [tap, out], { pool: 'gap', name: `${model.name}_tap` });
}
