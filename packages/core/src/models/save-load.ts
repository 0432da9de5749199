/**
 * `saveModel` / `loadModel`: LayersModels on disk (`model.json` + `weights.bin`, the standard tfjs layout, written
 * atomically) or over HTTP(S), with typed errors. Saved models name only standard tfjs layer classes (FtBatchNorm
 * saves as `BatchNormalization`), so plain tfjs loads them with `tf.loadLayersModel`; models loaded here get
 * FtBatchNorm layers back, so `setBnMode` and the fused-BN hook work on them.
 *
 * Keras → tfjs: a Keras `.h5` / SavedModel becomes a LayersModel with
 * `tensorflowjs_converter --input_format keras model.h5 out_dir/` (or `--input_format keras_saved_model
 * --output_format tfjs_layers_model`), then `loadModel('out_dir')`; custom Keras layers need a tfjs class
 * registered with `tf.serialization.registerClass` before loading. GraphModels (`--output_format tfjs_graph_model`,
 * TF Hub) are inference-only in tfjs (tfjs#4531) and are rejected with a ModelFormatError that says so.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FtError, ModelFormatError } from '../errors.js';
import { nodeFileHandler, readModelArtifacts } from './file-io-handler.js';
import { type HttpModelHandlerOptions, httpModelHandler, isHttpUrl } from './http-io-handler.js';
import { useFtBatchNormInTopology } from './model-artifacts.js';

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Also save the optimizer state of a compiled model (tfjs `includeOptimizer`). Default false. */
  includeOptimizer?: boolean;
}

/**
 * Saves `model` to `dir` as `model.json` + `weights.bin` (atomic directory replace; see `nodeFileHandler`).
 * @param model a LayersModel.
 * @param dir target directory (created if needed; an existing model directory is replaced).
 * @param opts `includeOptimizer` (default false).
 */
export async function saveModel(
  model: tfl.LayersModel,
  dir: string,
  opts: SaveModelOptions = {},
): Promise<tf.io.SaveResult> {
  return model.save(nodeFileHandler(dir), { includeOptimizer: opts.includeOptimizer ?? false });
}

/**
 * Most elements a weight that the weights manifest does not cover may have when a model is loaded with
 * `strict: false` (then tfjs initialises it itself): 2^24 (64 MiB of float32), or the largest weight of the manifest.
 */
export const MAX_UNLISTED_WEIGHT_ELEMENTS = 2 ** 24;

interface WeightBudget {
  /** Largest element count a layer may allocate for one weight. */
  maxElements: number;
  source: string;
  strict: boolean;
}
const weightBudget = new AsyncLocalStorage<WeightBudget>();
let addWeightGuarded = false;

/**
 * Installs (once) a check in `Layer.addWeight` that is active only inside {@link loadModel}: a topology whose
 * layers declare a weight larger than the manifest could fill (e.g. a Dense with 1e9 units) is refused with a
 * ModelFormatError before tfjs allocates and initialises it. Outside loadModel the method behaves as before.
 */
function guardAddWeight(): void {
  if (addWeightGuarded) return;
  addWeightGuarded = true;
  const proto = tfl.layers.Layer.prototype as unknown as { addWeight: (...args: unknown[]) => unknown };
  const original = proto.addWeight;
  proto.addWeight = function (this: { name?: string }, ...args: unknown[]) {
    const budget = weightBudget.getStore();
    const shape = args[1];
    if (budget && Array.isArray(shape)) {
      const n = shape.reduce((a: number, d: unknown) => a * (typeof d === 'number' ? d : Number.NaN), 1);
      if (!(n <= budget.maxElements)) {
        throw new ModelFormatError(
          `${budget.source}: layer '${this.name}' declares a weight '${String(args[0])}' of shape [${shape.join(', ')}] (${n} elements), larger than ${
            budget.strict
              ? 'any weight in the manifest'
              : `the ${budget.maxElements}-element limit for weights the manifest does not hold`
          }`,
          { file: budget.source, layer: this.name, shape },
        );
      }
    }
    return original.apply(this, args);
  };
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends HttpModelHandlerOptions {
  /** Require every weight of the topology to be present and no extra ones (tfjs `strict`). Default true. */
  strict?: boolean;
  /** Deserialise BatchNormalization layers as {@link FtBatchNorm} (default true); false gives plain tfjs layers. */
  ftBatchNorm?: boolean;
}

/**
 * Reads the artifacts of a model: local directory, model.json path, `file://` URL, or `http(s)://` URL.
 * @param source where the model is.
 * @param opts fetch options for URLs.
 */
export async function loadModelArtifacts(
  source: string | URL,
  opts: HttpModelHandlerOptions = {},
): Promise<{ artifacts: tf.io.ModelArtifacts; location: string }> {
  const s = String(source);
  if (isHttpUrl(s)) {
    const handler = httpModelHandler(s, opts);
    return { artifacts: await handler.load!(), location: s };
  }
  const file = s.startsWith('file://') ? fileURLToPath(s) : s;
  return { artifacts: await readModelArtifacts(file), location: file };
}

/**
 * Loads a LayersModel from a directory, a model.json path, a `file://` URL or an `http(s)://` URL.
 * Missing files ⇒ ModelFileNotFoundError; corrupt JSON, wrong weight sizes, GraphModels, unknown layer classes and
 * any other error of tfjs-layers' deserialisation ⇒ ModelFormatError naming the file; weight paths that leave the
 * model folder or are not regular files ⇒ UnsafePathError; HTTP failures other than 404 ⇒ DownloadError. A layer
 * whose declared weight is larger than the manifest's largest (with `strict: false`: larger than that or
 * {@link MAX_UNLISTED_WEIGHT_ELEMENTS}) ⇒ ModelFormatError before tfjs allocates or initialises it.
 * @param source directory, model.json path or URL.
 * @param opts `strict` (default true), `ftBatchNorm` (default true), `fetch`, `requestInit`.
 */
export async function loadModel(source: string | URL, opts: LoadModelOptions = {}): Promise<tfl.LayersModel> {
  const { artifacts, location } = await loadModelArtifacts(source, opts);
  const strict = opts.strict ?? true;
  let largest = 0;
  for (const s of artifacts.weightSpecs ?? [])
    largest = Math.max(
      largest,
      s.shape.reduce((a, d) => a * d, 1),
    );
  guardAddWeight();
  const budget: WeightBudget = {
    // Without weight data tfjs initialises every weight itself, even when strict: then the unlisted limit applies.
    maxElements:
      strict && artifacts.weightSpecs != null && artifacts.weightData != null
        ? largest
        : Math.max(largest, MAX_UNLISTED_WEIGHT_ELEMENTS),
    source: location,
    strict,
  };
  try {
    if (opts.ftBatchNorm ?? true) useFtBatchNormInTopology(artifacts.modelTopology);
    return await weightBudget.run(budget, () => tfl.loadLayersModel({ load: async () => artifacts }, { strict }));
  } catch (err) {
    if (err instanceof FtError) throw err;
    const msg = (err as Error).message ?? String(err);
    const hint = /Unknown layer/i.test(msg)
      ? ' (register the custom layer class with tf.serialization.registerClass before loading)'
      : '';
    throw new ModelFormatError(
      `cannot build a LayersModel from ${location}: ${msg}${hint}`,
      { file: location },
      {
        cause: err,
      },
    );
  }
}
