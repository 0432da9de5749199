/**
 * Saving and loading a trained AdaFilter network: the configuration (unit plan, gated layers, options) and every
 * variable (F, S, both BNs, gate, head) in one atomic directory with a SHA-256 manifest (core `saveWeights`).
 */
import { allVariablesOf, ModelFormatError, ShapeError } from '@ft/core';
import { loadWeights, saveWeights } from '@ft/core/train';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type AdaFilterConfig, AdaFilterNet, type AdaFilterOptions } from './adafilter-net.js';
import { planFromModel } from './plan.js';

/**
 * Wraps a pre-trained CNN in AdaFilter: every gated convolution gets a frozen pre-trained bank and a trainable copy,
 * gated BN, and the recurrent gate (Guo et al., AAAI 2020). The source model is read, not changed.
 * @param source a LayersModel of supported layers (a `@ft/core` builder's model, a zoo model, a model loaded from
 *   disk), or a builder result `{model, spec}`.
 * @param opts AdaFilter options (`numClasses` of the target task is required).
 */
export function adaFilter(source: tfl.LayersModel | { model: tfl.LayersModel }, opts: AdaFilterOptions): AdaFilterNet {
  const model = 'model' in source && !('layers' in source) ? source.model : (source as tfl.LayersModel);
  const { plan, weights } = planFromModel(model);
  return new AdaFilterNet(plan, opts, weights);
}

/** Writes `net` to `dir` (created; replaced atomically). */
export async function saveAdaFilter(net: AdaFilterNet, dir: string): Promise<string> {
  return saveWeights(dir, allVariablesOf(net), { meta: { adafilter: net.getConfig() } });
}

/**
 * Reads a network written by {@link saveAdaFilter}. Throws `CheckpointCorruptError` for damaged files,
 * `ModelFormatError` for a directory that is not an AdaFilter model, `ShapeError` for weights that do not fit.
 */
export async function loadAdaFilter(dir: string): Promise<AdaFilterNet> {
  const { weights, meta } = await loadWeights(dir);
  try {
    const config = meta.adafilter as AdaFilterConfig | undefined;
    if (config?.format !== 'ft-adafilter' || config.version !== 1) {
      throw new ModelFormatError(`loadAdaFilter: ${dir} does not hold an AdaFilter model (format ft-adafilter v1)`);
    }
    const net = AdaFilterNet.fromConfig(config);
    const vars = allVariablesOf(net);
    if (vars.length !== weights.length) {
      net.dispose();
      throw new ShapeError(`loadAdaFilter: ${dir} has ${weights.length} tensors, the network has ${vars.length}`);
    }
    vars.forEach((v, i) => {
      const w = weights[i];
      if (!w || w.shape.join() !== v.shape.join()) {
        net.dispose();
        throw new ShapeError(`loadAdaFilter: tensor ${i} of ${dir} has shape [${w?.shape}], expected [${v.shape}]`);
      }
      v.assign(w);
    });
    return net;
  } finally {
    for (const w of weights) w.dispose();
  }
}
