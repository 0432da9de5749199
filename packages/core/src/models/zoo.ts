/**
 * Model zoo: source models made by `ft pretrain` (e.g. MNIST / Fashion-MNIST classifiers used by the method
 * benchmarks), committed under a zoo directory with a `manifest.json` that records, per model, its files, their
 * SHA-256, the training data, the accuracy and the exact command that produced it. `loadZooModel` verifies both
 * checksums before loading, so a stale or corrupted file is an error, never a silently different model.
 *
 * Layout: `<zooDir>/manifest.json` and `<zooDir>/<name>/{model.json, weights.bin}`.
 * Zoo directory: option `zooDir`, else env `FT_ZOO_DIR`, else `<repo>/zoo` where `<repo>` is the nearest ancestor
 * of the working directory that holds `pnpm-workspace.yaml` (else `./zoo`).
 * Writers are not locked against each other: run one `ft pretrain` per zoo at a time.
 * The file paths of a manifest entry are confined to the zoo directory (relative, no `..`, no symlink that leads
 * out, regular files only): anything else is an UnsafePathError before a byte is read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InputTooLargeError, InvalidArgumentError, ModelFileNotFoundError, ModelFormatError } from '../errors.js';
import { checkRelativePath, readConfinedFile, readRegularFile, resolveConfined } from '../io/confined-path.js';
import { MAX_MODEL_JSON_BYTES, MODEL_JSON_FILE, WEIGHTS_FILE } from './file-io-handler.js';
import { parseModelJson } from './model-artifacts.js';
import { type LoadModelOptions, loadModel, saveModel } from './save-load.js';

/** One model of the zoo. */
export interface ZooEntry {
  /** Unique name, also the sub-directory, e.g. `'mnist-cnn4-s0'`. */
  name: string;
  /** File paths relative to the zoo directory. */
  files: { modelJson: string; weights: string };
  /** Hex SHA-256 of the two files. */
  sha256: { modelJson: string; weights: string };
  /** What it was trained on, e.g. `'mnist train split (7,996 digits), seed 0'`. */
  trainingData: string;
  /** Test accuracy (fraction), or several named metrics. */
  accuracy: number | Record<string, number>;
  /** The exact command that produced the model. */
  command: string;
  /** Builder name, when made from a registered backbone. */
  arch?: string;
  inputShape?: number[];
  numClasses?: number;
  /** ISO timestamp of creation. */
  createdAt?: string;
  /** Backend the model was trained on, and anything else worth recording. */
  backend?: string;
  notes?: string;
}

/** The zoo manifest file. */
export interface ZooManifest {
  version: 1;
  models: ZooEntry[];
}

/** Name of the manifest file inside the zoo directory. */
export const ZOO_MANIFEST_FILE = 'manifest.json';

/**
 * The zoo directory: `zooDir` if given, else `$FT_ZOO_DIR`, else `<repo>/zoo` (repo = nearest ancestor of the working
 * directory with `pnpm-workspace.yaml`), else `<cwd>/zoo`.
 * @param zooDir explicit directory.
 */
export function resolveZooDir(zooDir?: string): string {
  if (zooDir) return path.resolve(zooDir);
  const env = process.env.FT_ZOO_DIR;
  if (env) return path.resolve(env);
  let dir = process.cwd();
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return path.join(dir, 'zoo');
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(process.cwd(), 'zoo');
    dir = parent;
  }
}

/** The form of a zoo entry name: letters, digits, `.`, `_`, `-`, not starting with `.`, `_` or `-` (no paths). */
export const ZOO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws `InvalidArgumentError` when `name` is not a valid zoo entry name ({@link ZOO_NAME_PATTERN}). */
function checkZooName(name: unknown, where: string): void {
  if (typeof name !== 'string' || !ZOO_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      `${where}: zoo model name "${String(name)}" is not valid: letters, digits, . _ - (not starting with . _ -), as listed in the zoo's manifest.json`,
    );
  }
}

/** Largest zoo manifest read: 16 MiB. */
const MAX_ZOO_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads a zoo file given relative to the zoo directory (confined to it; regular files only, at most `maxBytes`)
 * with its hex SHA-256; ModelFileNotFoundError if it is missing (data/ exports a generic `sha256File`).
 */
async function readZooFile(
  zooDir: string,
  rel: string,
  what: string,
  maxBytes?: number,
): Promise<{ file: string; bytes: Uint8Array; sha256: string }> {
  const file = path.resolve(zooDir, rel);
  try {
    const bytes = await readConfinedFile(zooDir, rel, { what, ...(maxBytes !== undefined ? { maxBytes } : {}) });
    return { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelFileNotFoundError(`zoo file not found: ${file}`, { file }, { cause: err });
    }
    throw err;
  }
}

/**
 * Reads and validates `<zooDir>/manifest.json`. Missing ⇒ ModelFileNotFoundError; malformed ⇒ ModelFormatError.
 * @param opts `zooDir` (see {@link resolveZooDir}).
 */
export async function readZooManifest(opts: { zooDir?: string } = {}): Promise<ZooManifest> {
  const file = path.join(resolveZooDir(opts.zooDir), ZOO_MANIFEST_FILE);
  let text: string;
  try {
    text = new TextDecoder().decode(
      await readRegularFile(file, {
        what: 'zoo manifest',
        maxBytes: MAX_ZOO_MANIFEST_BYTES,
        onTooLarge: (size) =>
          new InputTooLargeError(`zoo manifest ${file} has ${size} bytes (limit ${MAX_ZOO_MANIFEST_BYTES})`, {
            file,
          }),
      }),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') {
      throw new ModelFileNotFoundError(`zoo manifest not found: ${file}`, { file }, { cause: err });
    }
    throw err;
  }
  let m: ZooManifest;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(`${file} is not valid JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (m?.version !== 1 || !Array.isArray(m.models)) {
    throw new ModelFormatError(`${file}: expected {version: 1, models: [...]}`, { file });
  }
  for (const e of m.models) {
    if (
      !e ||
      typeof e !== 'object' ||
      typeof e.name !== 'string' ||
      !e.files?.modelJson ||
      !e.files?.weights ||
      typeof e.sha256?.modelJson !== 'string' ||
      typeof e.sha256?.weights !== 'string'
    ) {
      throw new ModelFormatError(`${file}: entry ${JSON.stringify(e?.name)} lacks name, files or sha256`, { file });
    }
    for (const key of ['modelJson', 'weights'] as const) {
      checkRelativePath(e.files[key], `${file}: models['${e.name}'].files.${key}`, path.dirname(file));
    }
  }
  return m;
}

/** The entries of the zoo manifest (empty if the zoo has no manifest yet). */
export async function listZooModels(opts: { zooDir?: string } = {}): Promise<ZooEntry[]> {
  try {
    return (await readZooManifest(opts)).models;
  } catch (err) {
    if (err instanceof ModelFileNotFoundError) return [];
    throw err;
  }
}

/**
 * Checks both files of `entry` against the manifest checksums. Mismatch ⇒ ModelFormatError naming the file and
 * both hashes; missing ⇒ ModelFileNotFoundError.
 * @param entry a manifest entry.
 * @param zooDir the zoo directory.
 */
export async function verifyZooEntry(entry: ZooEntry, zooDir: string): Promise<void> {
  const manifestFile = path.join(zooDir, ZOO_MANIFEST_FILE);
  const read: Partial<Record<'modelJson' | 'weights', Uint8Array>> = {};
  for (const key of ['modelJson', 'weights'] as const) {
    const what = `${manifestFile}: models['${entry.name}'].files.${key}`;
    const maxBytes = key === 'modelJson' ? MAX_MODEL_JSON_BYTES : undefined;
    const { file, bytes, sha256 } = await readZooFile(zooDir, entry.files[key], what, maxBytes);
    if (sha256 !== entry.sha256[key]) {
      throw new ModelFormatError(
        `zoo model '${entry.name}': checksum mismatch for ${file}: manifest sha256 ${entry.sha256[key]}, file ${sha256}`,
        { file, expected: entry.sha256[key], actual: sha256 },
      );
    }
    read[key] = bytes;
  }
  const jsonFile = path.resolve(zooDir, entry.files.modelJson);
  const text = new TextDecoder().decode(read.modelJson);
  const json = parseModelJson(text, jsonFile);
  const listed: string[] = json.weightsManifest.flatMap((g) => g.paths);
  const expected = path.posix.relative(path.posix.dirname(entry.files.modelJson), entry.files.weights);
  if (listed.length !== 1 || listed[0] !== expected) {
    throw new ModelFormatError(
      `zoo model '${entry.name}': model.json lists weight files [${listed.join(', ')}], manifest has '${expected}'`,
      { file: jsonFile },
    );
  }
}

/**
 * Loads a zoo model by name after verifying its checksums.
 * A name that is not of the zoo's form (e.g. holds a path) ⇒ InvalidArgumentError; unknown name or missing files ⇒
 * ModelFileNotFoundError; checksum mismatch ⇒ ModelFormatError.
 * @param name manifest entry name.
 * @param opts `zooDir` (see {@link resolveZooDir}) and the options of `loadModel`.
 */
export async function loadZooModel(
  name: string,
  opts: { zooDir?: string } & LoadModelOptions = {},
): Promise<tfl.LayersModel> {
  checkZooName(name, 'loadZooModel');
  const { zooDir: _z, ...loadOpts } = opts;
  const zooDir = resolveZooDir(opts.zooDir);
  const manifest = await readZooManifest({ zooDir });
  const entry = manifest.models.find((e) => e.name === name);
  if (!entry) {
    throw new ModelFileNotFoundError(
      `no zoo model '${name}' in ${path.join(zooDir, ZOO_MANIFEST_FILE)}; available: ${
        manifest.models.map((e) => e.name).join(', ') || '(none)'
      }`,
      { name },
    );
  }
  await verifyZooEntry(entry, zooDir);
  return loadModel(
    await resolveConfined(zooDir, entry.files.modelJson, `${path.join(zooDir, ZOO_MANIFEST_FILE)}: '${name}'`),
    loadOpts,
  );
}

/** Arguments of {@link writeZooEntry}. */
export interface WriteZooEntryOptions extends Omit<ZooEntry, 'files' | 'sha256'> {
  /** The model to store under `<zooDir>/<name>/`. */
  model: tfl.LayersModel;
  /** Zoo directory (see {@link resolveZooDir}). */
  zooDir?: string;
}

/**
 * Saves `model` into the zoo and adds or replaces its manifest entry (files, SHA-256, training data, accuracy,
 * command, …). The manifest is rewritten atomically (temp file + rename), entries sorted by name. Used by
 * `ft pretrain`. Returns the entry written.
 * @param opts the model, its metadata (`name`, `trainingData`, `accuracy`, `command`, optional `arch`, …) and `zooDir`.
 */
export async function writeZooEntry(opts: WriteZooEntryOptions): Promise<ZooEntry> {
  const { model, zooDir: zd, ...meta } = opts;
  checkZooName(meta.name, 'writeZooEntry');
  for (const k of ['trainingData', 'command'] as const) {
    if (typeof meta[k] !== 'string' || meta[k].length === 0) {
      throw new InvalidArgumentError(`writeZooEntry: '${k}' must be a non-empty string`);
    }
  }
  if (meta.accuracy === undefined) throw new InvalidArgumentError('writeZooEntry: accuracy is required');
  const zooDir = resolveZooDir(zd);
  await saveModel(model, path.join(zooDir, meta.name));
  const files = { modelJson: `${meta.name}/${MODEL_JSON_FILE}`, weights: `${meta.name}/${WEIGHTS_FILE}` };
  const entry: ZooEntry = {
    ...meta,
    files,
    sha256: {
      modelJson: (await readZooFile(zooDir, files.modelJson, `zoo model '${meta.name}' model.json`)).sha256,
      weights: (await readZooFile(zooDir, files.weights, `zoo model '${meta.name}' weights`)).sha256,
    },
    createdAt: meta.createdAt ?? new Date().toISOString(),
  };
  let manifest: ZooManifest;
  try {
    manifest = await readZooManifest({ zooDir });
  } catch (err) {
    if (!(err instanceof ModelFileNotFoundError)) throw err;
    manifest = { version: 1, models: [] };
  }
  manifest.models = [...manifest.models.filter((e) => e.name !== entry.name), entry].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const file = path.join(zooDir, ZOO_MANIFEST_FILE);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await fs.rename(tmp, file);
  return entry;
}
