/**
 * `cloneModel`: an independent deep copy of a LayersModel (teacher/student pairs, EMA teachers, frozen source copies).
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { isBatchNorm } from './ft-batch-norm.js';
import { useFtBatchNormInTopology } from './model-artifacts.js';

/** Options of {@link cloneModel}. */
export interface CloneModelOptions {
  /** Name of the copy. Default: the original's name (layer names are always kept, so saved artifacts match). */
  name?: string;
}

type LayerVar = tfl.LayerVariable & { originalName: string };

/** Every layer of `layer`, nested models' layers included, depth first (the layer itself first). */
function flattenLayers(layer: tfl.layers.Layer, out: tfl.layers.Layer[] = []): tfl.layers.Layer[] {
  out.push(layer);
  const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
  if (Array.isArray(nested)) for (const l of nested) flattenLayers(l, out);
  return out;
}

/**
 * An independent deep copy of `model`: the same topology (rebuilt from `model.toJSON(null, false)` with
 * `tfl.models.modelFromJSON`; BatchNormalization layers become core's `FtBatchNorm`, as with `loadModel`), every weight
 * copied into a NEW variable (BN moving statistics included), and the per-layer and per-weight `trainable` flags and
 * the BN modes (`setBnMode` / `frozenStats`) of the original. Training, assigning or disposing the copy never changes
 * the original, and the copy predicts exactly what the original does. Layer and weight names are the original's
 * (tfjs makes the variable names unique per process), so `saveModel` writes the same artifacts. The optimizer and
 * compile state are not copied.
 * @param model a LayersModel (Sequential or functional, nested models allowed).
 * @param o `{name}`: optional name of the copy (default the original's).
 * @returns the copy; dispose it with `copy.dispose()` when done.
 */
export async function cloneModel(model: tfl.LayersModel, o: CloneModelOptions = {}): Promise<tfl.LayersModel> {
  if (!(model instanceof tfl.LayersModel)) {
    throw new InvalidArgumentError('cloneModel: model must be a tfjs-layers LayersModel');
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) {
    throw new InvalidArgumentError(`cloneModel: name must be a non-empty string, got ${String(o.name)}`);
  }
  const topology = model.toJSON(null, false) as unknown as { config: Record<string, unknown> };
  if (o.name !== undefined) topology.config.name = o.name;
  useFtBatchNormInTopology(topology);
  const copy = await tfl.models.modelFromJSON({
    modelTopology: topology as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]['modelTopology'],
  });
  try {
    // Layer-wise flags first: a layer's `trainable` decides which of its weights count as trainable.
    const src = flattenLayers(model).slice(1);
    const dst = flattenLayers(copy).slice(1);
    if (src.length !== dst.length) {
      throw new ShapeError(`cloneModel: the rebuilt model has ${dst.length} layers, the original ${src.length}`);
    }
    src.forEach((s, i) => {
      const d = dst[i];
      if (s.name !== d.name) {
        throw new ShapeError(`cloneModel: layer ${i} is '${d.name}' in the copy, '${s.name}' in the original`);
      }
      d.trainable = s.trainable;
      if (isBatchNorm(s) && isBatchNorm(d)) {
        (d as unknown as { frozenStats: boolean }).frozenStats =
          (s as unknown as { frozenStats?: boolean }).frozenStats === true;
      }
    });
    // Weights matched by their scoped original name (`layer/kernel`), not by position.
    const target = new Map<string, LayerVar>();
    for (const w of copy.weights as LayerVar[]) target.set(w.originalName, w);
    const weights = model.weights as LayerVar[];
    if (target.size !== weights.length || (copy.weights as LayerVar[]).length !== weights.length) {
      throw new ShapeError(
        `cloneModel: the rebuilt model has ${copy.weights.length} weights, the original ${weights.length}`,
      );
    }
    for (const w of weights) {
      const d = target.get(w.originalName);
      if (!d) throw new ShapeError(`cloneModel: weight '${w.originalName}' is missing from the rebuilt model`);
      if (d.shape.join(',') !== w.shape.join(',')) {
        throw new ShapeError(`cloneModel: weight '${w.originalName}' has shape [${d.shape}] vs [${w.shape}]`);
      }
      // Variable.assign (not LayerVariable.write): no weight constraint is re-applied to the copied values.
      (d.read() as tf.Variable).assign(w.read());
      d.trainable = w.trainable;
    }
  } catch (e) {
    copy.dispose();
    throw e;
  }
  return copy;
}
