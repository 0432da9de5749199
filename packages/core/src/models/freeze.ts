/**
 * Freezing: switch layers' weights between trainable and frozen (`layer.trainable`), and BatchNorm between batch
 * statistics and frozen moving statistics (`setBnMode`). In tfjs `layer.trainable = false` removes gamma/beta from
 * the trainable weights but does NOT stop BN from updating its moving statistics under `training: true`; that is
 * what `setBnMode(model, 'frozen')` (or `freeze(..., {bnStats: true})`) is for.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';
import { asFtBatchNorm, isBatchNorm } from './ft-batch-norm.js';

/** Which layers to act on. Criteria combine by union; with none given, every layer is selected. */
export interface LayerSelector {
  /** Every layer from the first up to and including this one, in `model.layers` (topological) order. */
  upTo?: string;
  /** Layers whose name matches. */
  match?: RegExp;
  /** Layers for which this returns true (index = position in `model.layers`). */
  predicate?: (layer: tfl.layers.Layer, index: number) => boolean;
}

/** Options of {@link freeze} / {@link unfreeze}. */
export interface FreezeOptions extends LayerSelector {
  /** Also freeze (or, in `unfreeze`, release) the moving statistics of the selected BatchNorm layers. Default false. */
  bnStats?: boolean;
}

/** The selected top-level layers of `model` (input layers excluded). */
export function selectLayers(model: tfl.LayersModel, sel: LayerSelector = {}): tfl.layers.Layer[] {
  const layers = model.layers;
  let upToIndex = -1;
  if (sel.upTo !== undefined) {
    upToIndex = layers.findIndex((l) => l.name === sel.upTo);
    if (upToIndex < 0) {
      throw new InvalidArgumentError(
        `freeze: upTo '${sel.upTo}' is not a layer of model '${model.name}'; available: ${layers.map((l) => l.name).join(', ')}`,
      );
    }
  }
  const any = sel.upTo !== undefined || sel.match !== undefined || sel.predicate !== undefined;
  return layers.filter((l, i) => {
    if (l.getClassName() === 'InputLayer') return false;
    if (!any) return true;
    return (
      (i <= upToIndex && sel.upTo !== undefined) ||
      (sel.match?.test(l.name) ?? false) ||
      (sel.predicate?.(l, i) ?? false)
    );
  });
}

function setTrainable(model: tfl.LayersModel, opts: FreezeOptions, trainable: boolean): string[] {
  const changed: string[] = [];
  for (const layer of selectLayers(model, opts)) {
    layer.trainable = trainable;
    if (opts.bnStats) {
      forEachBatchNorm(layer, (bn) => {
        asFtBatchNorm(bn).frozenStats = !trainable;
      });
    }
    if (layer.weights.length > 0) changed.push(layer.name);
  }
  return changed;
}

/**
 * Makes the selected layers' weights non-trainable (`layer.trainable = false`). Layers shared with other models
 * (e.g. after `replaceHead`) are frozen there too. Returns the names of the selected layers that have weights.
 * @param model a LayersModel.
 * @param opts selector (`upTo`, `match`, `predicate`; all layers if none) and `bnStats` (default false).
 */
export function freeze(model: tfl.LayersModel, opts: FreezeOptions = {}): string[] {
  return setTrainable(model, opts, false);
}

/**
 * Makes the selected layers trainable again; with `bnStats: true` their BatchNorm layers use batch statistics again.
 * Returns the names of the selected layers that have weights.
 * @param model a LayersModel.
 * @param opts selector (all layers if none) and `bnStats` (default false).
 */
export function unfreeze(model: tfl.LayersModel, opts: FreezeOptions = {}): string[] {
  return setTrainable(model, opts, true);
}

function forEachBatchNorm(layer: tfl.layers.Layer, fn: (bn: tfl.layers.Layer) => void): void {
  if (isBatchNorm(layer)) {
    fn(layer);
    return;
  }
  const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
  if (Array.isArray(nested)) for (const l of nested) forEachBatchNorm(l, fn);
}

/**
 * Sets every BatchNorm layer of `model` (nested models included, optionally only selected layers) to
 * `'train'` (batch statistics under `training: true`, moving statistics updated: the tfjs default) or `'frozen'`
 * (moving statistics always, never updated). Standard tfjs BatchNormalization layers are upgraded in place to
 * {@link FtBatchNorm} (same weights; still saved as `BatchNormalization`). Returns the names of the BN layers set.
 * @param model a LayersModel.
 * @param mode `'train'` or `'frozen'`.
 * @param sel optional layer selector (default: all layers).
 */
export function setBnMode(model: tfl.LayersModel, mode: 'train' | 'frozen', sel: LayerSelector = {}): string[] {
  if (mode !== 'train' && mode !== 'frozen') {
    throw new InvalidArgumentError(`setBnMode: mode must be 'train' or 'frozen', got '${String(mode)}'`);
  }
  const names: string[] = [];
  for (const layer of selectLayers(model, sel)) {
    forEachBatchNorm(layer, (bn) => {
      asFtBatchNorm(bn).frozenStats = mode === 'frozen';
      names.push(bn.name);
    });
  }
  return names;
}

/** The BN mode of every BatchNorm layer: `{layerName: 'train' | 'frozen'}` (standard layers report `'train'`). */
export function getBnModes(model: tfl.LayersModel): Record<string, 'train' | 'frozen'> {
  const out: Record<string, 'train' | 'frozen'> = {};
  for (const layer of model.layers) {
    forEachBatchNorm(layer, (bn) => {
      out[bn.name] = (bn as unknown as { frozenStats?: boolean }).frozenStats ? 'frozen' : 'train';
    });
  }
  return out;
}
