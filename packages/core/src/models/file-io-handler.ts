/**
 * A Node file-system `tf.io.IOHandler` (tfjs' own `file://` handler needs tfjs-node, which the project cannot
 * install). Writes the standard tfjs layout, `model.json` + `weights.bin`, so the files load anywhere tfjs does.
 *
 * Saving is atomic at the directory level: both files are written into a fresh temporary sibling directory, which
 * then replaces `dir` by rename. A reader never sees a half-written model: it sees the old one or the new one (a
 * crash between the two renames leaves the old model under `<dir>.old-*`). An existing `dir` is only replaced if it
 * holds nothing but tfjs model files, so a mistaken path never deletes unrelated data.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InputTooLargeError, InvalidArgumentError, ModelFileNotFoundError, ModelFormatError } from '../errors.js';
import { readConfinedFile, readRegularFile, statConfinedFile } from '../io/confined-path.js';
import { checkWeightBytes, concatBuffers, parseModelJson } from './model-artifacts.js';

/** File name of the weights written by {@link nodeFileHandler}. */
export const WEIGHTS_FILE = 'weights.bin';
/** File name of the topology + manifest. */
export const MODEL_JSON_FILE = 'model.json';

const MODEL_FILE_RE = /^(model\.json|weights\.bin|group\d+-shard\d+of\d+(\.bin)?)$/;

function isEnoent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The model.json path for a directory or a `.json` file path. */
export function modelJsonPath(dirOrFile: string): string {
  return dirOrFile.endsWith('.json') ? dirOrFile : path.join(dirOrFile, MODEL_JSON_FILE);
}

/**
 * Builds the model.json object for `artifacts` with one weight file.
 * @param artifacts from `model.save`.
 * @param weightsPath relative path of the weight file.
 */
export function modelJsonFor(artifacts: tf.io.ModelArtifacts, weightsPath = WEIGHTS_FILE): tf.io.ModelJSON {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new ModelFormatError('nodeFileHandler: binary (GraphDef) topologies are not supported; save a LayersModel');
  }
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsPath], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) json.initializerSignature = artifacts.initializerSignature;
  return json;
}

/** Largest `model.json` read (topology and manifest only; the weights are separate files): 64 MiB. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Reads `model.json` (and its weight files, relative to it) from disk into ModelArtifacts.
 *
 * The weight paths in the manifest are confined to the folder of `model.json` (no absolute path, no `..`, no
 * symlink that leads out: `UnsafePathError`), must be regular files (a folder, `/dev/zero` or a FIFO ⇒
 * `UnsafePathError`), and their sizes are compared with the manifest before any of them is read.
 * Missing files ⇒ ModelFileNotFoundError naming the path; invalid JSON, GraphModels, malformed manifests or
 * topologies and wrong weight byte lengths ⇒ ModelFormatError; a model.json over {@link MAX_MODEL_JSON_BYTES} ⇒
 * InputTooLargeError.
 * @param dirOrFile a model directory or the path of its model.json.
 */
export async function readModelArtifacts(dirOrFile: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = modelJsonPath(dirOrFile);
  let text: string;
  try {
    const bytes = await readRegularFile(jsonPath, {
      what: 'model file',
      maxBytes: MAX_MODEL_JSON_BYTES,
      onTooLarge: (size) =>
        new InputTooLargeError(
          `${jsonPath} has ${size} bytes; a model.json holds only the topology and the weights manifest and is limited to ${MAX_MODEL_JSON_BYTES} bytes`,
          { file: jsonPath, limit: MAX_MODEL_JSON_BYTES },
        ),
    });
    text = new TextDecoder().decode(bytes);
  } catch (err) {
    if (isEnoent(err)) {
      throw new ModelFileNotFoundError(`model file not found: ${jsonPath}`, { file: jsonPath }, { cause: err });
    }
    throw err;
  }
  const modelJSON = parseModelJson(text, jsonPath);
  const base = path.dirname(path.resolve(jsonPath));
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const files: { rel: string; file: string; size: number; what: string }[] = [];
    for (const [gi, group] of manifest.entries()) {
      specs.push(...group.weights);
      for (const [pi, rel] of group.paths.entries()) {
        const what = `${jsonPath}: weightsManifest[${gi}].paths[${pi}]`;
        try {
          files.push({ rel, what, ...(await statConfinedFile(base, rel, what)) });
        } catch (err) {
          if (isEnoent(err)) {
            const file = path.resolve(base, rel);
            throw new ModelFileNotFoundError(
              `weight file not found: ${file} (listed in ${jsonPath})`,
              { file },
              { cause: err },
            );
          }
          throw err;
        }
      }
    }
    // Sizes first: nothing is read unless the files together have exactly the bytes the manifest declares.
    const source = files.map((f) => f.file).join(', ') || jsonPath;
    checkWeightBytes(
      specs,
      files.reduce((a, f) => a + f.size, 0),
      source,
    );
    const buffers: ArrayBuffer[] = [];
    for (const f of files) {
      const b = await readConfinedFile(base, f.rel, {
        what: f.what,
        expectedBytes: f.size,
        onSizeMismatch: () =>
          new ModelFormatError(`${f.file} changed size while the model in ${jsonPath} was loaded`, { file: f.file }),
      });
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
    return [specs, concatBuffers(buffers)];
  });
}

/**
 * Writes ModelArtifacts as `<dir>/model.json` + `<dir>/weights.bin`, atomically (see the file header).
 * @param dir target directory (created with its parents).
 * @param artifacts from `model.save`.
 */
export async function writeModelArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const target = path.resolve(dir);
  const json = modelJsonFor(artifacts);
  const weights = artifacts.weightData ? concatBuffers([artifacts.weightData].flat()) : new ArrayBuffer(0);
  checkWeightBytes(json.weightsManifest[0].weights, weights.byteLength, `${target} (weights being saved)`);
  let existing: string[] | null = null;
  try {
    existing = await fs.readdir(target);
  } catch (err) {
    if (!isEnoent(err)) throw err;
  }
  const foreign = existing?.filter((f) => !MODEL_FILE_RE.test(f)) ?? [];
  if (foreign.length > 0) {
    throw new InvalidArgumentError(
      `saveModel: refusing to replace ${target}: it contains files that are not tfjs model files (${foreign.join(', ')})`,
      { dir: target },
    );
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = `${target}.tmp-${tag}`;
  await fs.mkdir(tmp);
  try {
    await writeFileSynced(path.join(tmp, WEIGHTS_FILE), new Uint8Array(weights));
    await writeFileSynced(path.join(tmp, MODEL_JSON_FILE), JSON.stringify(json));
    if (existing !== null) {
      const old = `${target}.old-${tag}`;
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * A `tf.io.IOHandler` over a local directory: `model.save(nodeFileHandler(dir))` and
 * `tfl.loadLayersModel(nodeFileHandler(dir))` (for FtBatchNorm layers and typed errors use `saveModel`/`loadModel`).
 * @param dir model directory (or, for loading, the path of a model.json).
 */
export function nodeFileHandler(dir: string): tf.io.IOHandler {
  return {
    save: (artifacts) => writeModelArtifacts(dir, artifacts),
    load: () => readModelArtifacts(dir),
  };
}
