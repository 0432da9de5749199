/**
 * Named feature taps: a model whose outputs are intermediate activations of another model (by layer name), for
 * feature-level methods (Gaussian AD on several levels, imprinting, linear probes).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';

/** Options of {@link featureExtractor}. */
export interface FeatureExtractorOptions {
  /** `'gap'`: global-average-pool rank-4 taps to [N, C] (rank-2 taps pass through); `'none'` (default): raw maps. */
  pool?: 'gap' | 'none';
  /** Name of the returned model. Default `<model.name>_features`. */
  name?: string;
}

/** Names of the layers of `model` (except input layers), in topological order. */
export function layerNames(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
}

/**
 * The output symbolic tensor of layer `name` of `model`. Throws InvalidArgumentError naming the available layers when
 * there is no such layer.
 * @param model a LayersModel.
 * @param name layer name (a tap such as `'block2'`, `'gap'`, `'penultimate'`).
 * @param caller function name for the message.
 */
export function tapOutput(model: tfl.LayersModel, name: string, caller = 'tapOutput'): tfl.SymbolicTensor {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) {
    throw new InvalidArgumentError(
      `${caller}: model '${model.name}' has no layer named '${name}'; available: ${layerNames(model).join(', ')}`,
      { name },
    );
  }
  const nodes = layer.inboundNodes;
  const out = nodes.length > 0 ? nodes[0].outputTensors : [];
  if (out.length !== 1) {
    throw new InvalidArgumentError(
      `${caller}: layer '${name}' has ${out.length} outputs; only single-output taps work`,
    );
  }
  return out[0];
}

/**
 * A `tf.LayersModel` with one output per tap, sharing layers and weights with `model` (no copy: later training of
 * `model` is visible through the extractor). With one name, `predict` returns a tensor; with several, an array in
 * the order of `names`. Runs BatchNorm in inference mode under `predict`.
 * @param model the source model (e.g. from a builder, or loaded).
 * @param names tap layer names, e.g. `['block1', 'block2', 'penultimate']`.
 * @param opts `pool` (`'none'` default, or `'gap'`), `name`.
 */
export function featureExtractor(
  model: tfl.LayersModel,
  names: string | string[],
  opts: FeatureExtractorOptions = {},
): tfl.LayersModel {
  const list = Array.isArray(names) ? names : [names];
  if (list.length === 0) throw new InvalidArgumentError('featureExtractor: names must not be empty');
  const pool = opts.pool ?? 'none';
  if (pool !== 'gap' && pool !== 'none') {
    throw new InvalidArgumentError(`featureExtractor: pool must be 'gap' or 'none', got '${String(pool)}'`);
  }
  const missing = list.filter((n) => !model.layers.some((l) => l.name === n));
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `featureExtractor: unknown tap(s) ${missing.map((m) => `'${m}'`).join(', ')} in model '${model.name}'; ` +
        `available: ${layerNames(model).join(', ')}`,
      { missing },
    );
  }
  const outputs = list.map((n) => {
    const t = tapOutput(model, n, 'featureExtractor');
    if (pool === 'gap' && t.rank === 4) {
      return tfl.layers.globalAveragePooling2d({ name: `${n}_gap_tap` }).apply(t) as tfl.SymbolicTensor;
    }
    return t;
  });
  return tfl.model({ inputs: model.inputs, outputs, name: opts.name ?? `${model.name}_features` });
}
