/**
 * Parsing and validation of tfjs `model.json` + weight files, shared by the file and HTTP IOHandlers: JSON errors,
 * GraphModels (inference-only) and weight byte-length mismatches become typed errors that name the file, before tfjs
 * sees the data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '../errors.js';

/** Bytes per element of a weight entry (after quantization, if any). */
function bytesPerElement(spec: tf.io.WeightsManifestEntry, source: string): number {
  const q = spec.quantization?.dtype;
  if (q) {
    if (q === 'uint8') return 1;
    if (q === 'uint16' || q === 'float16') return 2;
    throw new ModelFormatError(`${source}: weight '${spec.name}' has unknown quantization dtype '${q}'`);
  }
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      throw new ModelFormatError(`${source}: weight '${spec.name}' has unsupported dtype '${String(spec.dtype)}'`);
  }
}

/** Total byte length the weight specs describe. */
export function weightsByteLength(specs: tf.io.WeightsManifestEntry[], source = 'model.json'): number {
  let total = 0;
  for (const s of specs) {
    if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFormatError(`${source}: weight '${s.name}' has an invalid shape ${JSON.stringify(s.shape)}`);
    }
    total += s.shape.reduce((a, d) => a * d, 1) * bytesPerElement(s, source);
  }
  return total;
}

/** The explanation given when a GraphModel is passed where a LayersModel is needed. */
export const GRAPH_MODEL_MESSAGE =
  'is a TensorFlow.js GraphModel (format "graph-model"). GraphModels are inference-only in tfjs: they have no ' +
  'trainable layers or variables (tfjs#4531), so they cannot be fine-tuned. Convert the original Keras model to a ' +
  'LayersModel instead, e.g. `tensorflowjs_converter --input_format keras model.h5 out_dir/` or ' +
  '`--input_format keras_saved_model --output_format tfjs_layers_model saved_model_dir out_dir/`, and load that.';

/**
 * Parses and validates the text of a LayersModel `model.json`. Throws ModelFormatError (naming `source`) for
 * invalid JSON, a GraphModel, a missing topology or a missing/invalid weights manifest.
 * @param text file contents.
 * @param source file path or URL, for messages.
 */
export function parseModelJson(text: string, source: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(
      `${source} is not valid JSON: ${(err as Error).message}`,
      { file: source },
      { cause: err },
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFormatError(`${source} must contain a JSON object (tfjs model.json)`, { file: source });
  }
  const m = json as Record<string, unknown>;
  const topo = m.modelTopology as Record<string, unknown> | undefined;
  const isGraph =
    m.format === 'graph-model' ||
    (topo !== undefined && topo !== null && typeof topo === 'object' && Array.isArray(topo.node));
  if (isGraph) throw new ModelFormatError(`${source} ${GRAPH_MODEL_MESSAGE}`, { file: source, format: 'graph-model' });
  if (m.format !== undefined && m.format !== 'layers-model') {
    throw new ModelFormatError(`${source}: unsupported model format '${String(m.format)}' (expected 'layers-model')`, {
      file: source,
    });
  }
  if (!topo || typeof topo !== 'object') {
    throw new ModelFormatError(`${source} has no modelTopology: not a tfjs LayersModel model.json`, { file: source });
  }
  const topology = (topo.model_config ?? topo) as Record<string, unknown>;
  if (typeof topology.class_name !== 'string') {
    throw new ModelFormatError(`${source}: modelTopology has no class_name (not a Keras/tfjs LayersModel topology)`, {
      file: source,
    });
  }
  const manifest = m.weightsManifest;
  if (manifest === undefined) {
    m.weightsManifest = [];
  } else if (
    !Array.isArray(manifest) ||
    !manifest.every(
      (g) =>
        g && Array.isArray((g as { paths?: unknown }).paths) && Array.isArray((g as { weights?: unknown }).weights),
    )
  ) {
    throw new ModelFormatError(`${source}: weightsManifest must be an array of {paths, weights}`, { file: source });
  }
  return m as unknown as tf.io.ModelJSON;
}

/**
 * Checks that the concatenated weight bytes match the manifest. Throws ModelFormatError naming the files.
 * @param specs weight specs of the manifest (in order).
 * @param byteLength bytes actually read.
 * @param source the weight file(s), for the message.
 */
export function checkWeightBytes(specs: tf.io.WeightsManifestEntry[], byteLength: number, source: string): void {
  const expected = weightsByteLength(specs, source);
  if (expected !== byteLength) {
    throw new ModelFormatError(
      `${source}: weight data has ${byteLength} bytes but the manifest describes ${expected} bytes (truncated or mismatched files)`,
      { file: source, expected, actual: byteLength },
    );
  }
}

/** Concatenates buffers into one ArrayBuffer. */
export function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(buffers);
}

/**
 * Replaces `class_name: 'BatchNormalization'` by `'FtBatchNorm'` everywhere in a Keras topology (in place), so that
 * deserialisation creates FtBatchNorm layers. Returns the number of replacements.
 * @param topology parsed `modelTopology`.
 */
export function useFtBatchNormInTopology(topology: unknown): number {
  let n = 0;
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.class_name === 'BatchNormalization' && typeof o.config === 'object') {
        o.class_name = 'FtBatchNorm';
        n++;
      }
      for (const x of Object.values(o)) visit(x);
    }
  };
  visit(topology);
  return n;
}
