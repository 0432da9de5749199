/**
 * Parameter groups and counts: split a model's variables into named groups for per-group learning rate / weight
 * decay (e.g. PyTorch-style "no decay on BN and bias", as in the SSL-transfer code's `'bn' not in name and 'bias'
 * not in name`), and count parameters.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';
import { isBatchNorm } from './ft-batch-norm.js';

/** What a matcher sees for each weight. */
export interface WeightInfo {
  /** Scoped weight name as saved in model.json, e.g. `'block1_bn/gamma'`, `'logits/kernel'`. */
  name: string;
  /** Name of the owning layer. */
  layerName: string;
  /** Serialised class name of the owning layer (`'Conv2D'`, `'BatchNormalization'`, `'Dense'`, …). */
  layerClass: string;
  /** The layer itself. */
  layer: tfl.layers.Layer;
  /** The underlying tfjs variable. */
  variable: tf.Variable;
}

/** A group matcher: a RegExp tested on the weight name, or a predicate. */
export type WeightMatcher = RegExp | ((w: WeightInfo) => boolean);

/** One named group of variables (assignable to the optimizer's `ParamGroup` of train/optimizer.ts). */
export interface VariableGroup {
  name: string;
  variables: tf.Variable[];
}

/** Options of {@link paramGroups}. */
export interface ParamGroupsOptions {
  /** Include non-trainable weights too (BN moving statistics, frozen layers). Default false. */
  includeNonTrainable?: boolean;
  /** Name of the group that collects unmatched weights. Default `'other'`. */
  otherName?: string;
}

/** Weight infos of every (trainable, or all) weight of `model`, in model order. */
export function weightInfos(model: tfl.LayersModel, { trainableOnly = true } = {}): WeightInfo[] {
  const out: WeightInfo[] = [];
  const visit = (layers: tfl.layers.Layer[]) => {
    for (const layer of layers) {
      const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
      if (Array.isArray(nested)) {
        visit(nested);
        continue;
      }
      const ws = trainableOnly ? layer.trainableWeights : layer.weights;
      for (const w of ws) {
        out.push({
          name: w.originalName,
          layerName: layer.name,
          layerClass: layer.getClassName(),
          layer,
          variable: (w as unknown as { val: tf.Variable }).val,
        });
      }
    }
  };
  visit(model.layers);
  return out;
}

/**
 * Splits the model's trainable variables into named groups. Groups are tried in the order given; each weight goes
 * to the first group whose matcher accepts it, and unmatched weights go to a final `'other'` group (always present,
 * possibly empty). Example: `paramGroups(model, {noDecay: isBnOrBias})`.
 * @param model a LayersModel.
 * @param groups `{groupName: RegExp on the weight name | predicate}`, in priority order.
 * @param opts `includeNonTrainable` (default false), `otherName` (default `'other'`).
 */
export function paramGroups(
  model: tfl.LayersModel,
  groups: Record<string, WeightMatcher>,
  opts: ParamGroupsOptions = {},
): VariableGroup[] {
  const otherName = opts.otherName ?? 'other';
  const entries = Object.entries(groups);
  if (entries.some(([n]) => n === otherName)) {
    throw new InvalidArgumentError(`paramGroups: '${otherName}' is reserved for unmatched weights`);
  }
  const result: VariableGroup[] = entries.map(([name]) => ({ name, variables: [] }));
  const other: VariableGroup = { name: otherName, variables: [] };
  for (const w of weightInfos(model, { trainableOnly: !opts.includeNonTrainable })) {
    const i = entries.findIndex(([, m]) => (m instanceof RegExp ? m.test(w.name) : m(w)));
    (i >= 0 ? result[i] : other).variables.push(w.variable);
  }
  result.push(other);
  return result;
}

/** Matcher for BatchNorm weights and every bias: the usual "no weight decay" group. */
export function isBnOrBias(w: WeightInfo): boolean {
  return isBatchNorm(w.layer) || /(^|\/)bias$/.test(w.name);
}

/**
 * Optimizer groups for the usual PyTorch recipe "no weight decay on BatchNorm and biases" (the SSL-transfer code's
 * `'bn' not in name and 'bias' not in name`): `noDecay` (weight decay 0) and `other` (the optimizer's), empty groups
 * dropped. Pass to `fit({groups})` or `trainClassifier({groups})`.
 */
export function noDecayGroups(model: tfl.LayersModel): Array<VariableGroup & { weightDecay?: number }> {
  return paramGroups(model, { noDecay: isBnOrBias })
    .filter((g) => g.variables.length > 0)
    .map((g) => ({ name: g.name, variables: g.variables, ...(g.name === 'noDecay' ? { weightDecay: 0 } : {}) }));
}

/**
 * Number of scalar parameters of `model`.
 * @param model a LayersModel.
 * @param opts `trainable`: count only trainable weights (default true; false counts every weight incl. BN moving
 *   statistics).
 */
export function countParams(model: tfl.LayersModel, opts: { trainable?: boolean } = {}): number {
  const ws = (opts.trainable ?? true) ? model.trainableWeights : model.weights;
  return ws.reduce((s, w) => s + w.shape.reduce<number>((a, d) => a * (d as number), 1), 0);
}
