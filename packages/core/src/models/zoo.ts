/**
 * Model zoo: source models made by `ft pretrain` (e.g. MNIST / Fashion-MNIST classifiers used by the method
 * benchmarks), committed under a zoo directory with a `manifest.json` that records, per model, its files, their
 * SHA-256, the training data, the accuracy and the exact command that produced it. `loadZooModel` verifies both
 * checksums before loading, so a stale or corrupted file is an error, never a silently different model.
 *
 * Layout: `<zooDir>/manifest.json` and `<zooDir>/<name>/{model.json, weights.bin}`.
 * The shipped zoo is the npm package `@ft/zoo` (an optional peer of `@ft/core`; `@ft/cli` and `@ft/mahalanobis-ad`
 * depend on it). Where a zoo name is looked up ({@link zooSearchPath}): the `zooDir` option (`ft --zoo-dir`) alone,
 * else `$FT_ZOO_DIR` alone, else the installed `@ft/zoo` package (resolved by name from core, then from the working
 * directory), then `<cwd>/zoo` (where `ft pretrain --zoo-name` writes outside this repository). A name is loaded from
 * the first of these zoos whose manifest lists it; when none has a manifest the error names every place and the fix.
 * Writers are not locked against each other: run one `ft pretrain` per zoo at a time.
 * The file paths of a manifest entry are confined to the zoo directory (relative, no `..`, no symlink that leads
 * out, regular files only): anything else is an UnsafePathError before a byte is read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InputTooLargeError, InvalidArgumentError, ModelFileNotFoundError, ModelFormatError } from '../errors.js';
import { checkRelativePath, readConfinedFile, readRegularFile, resolveConfined } from '../io/confined-path.js';
import { resolvePackageDir } from '../io/package-dir.js';
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

/** Optional `sha256sum -c` file of a zoo; `writeZooEntry` rewrites it from the manifest when it exists. */
const ZOO_SHA256SUMS_FILE = 'SHA256SUMS';

/** The npm package that ships the zoo. */
export const ZOO_PACKAGE = '@ft/zoo';

/** How to get a zoo, for the "not found" error. */
const ZOO_FIX = `install the shipped zoo (npm install ${ZOO_PACKAGE}), or point at a zoo folder with FT_ZOO_DIR=<dir> or --zoo-dir <dir> (the zooDir option)`;

/** One place a zoo is looked for, and why it is on the list. */
export interface ZooLocation {
  dir: string;
  /** `option` (zooDir / `--zoo-dir`), `env` (`FT_ZOO_DIR`), `package` (installed `@ft/zoo`), `cwd` (`<cwd>/zoo`). */
  source: 'option' | 'env' | 'package' | 'cwd';
}

/** Inputs of {@link zooSearchPath} that tests replace; default: the process's. */
export interface ZooSearchContext {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The installed `@ft/zoo` folder, or null when it is not installed (default: resolved by name). */
  packageDir?: string | null;
}

/** The installed `@ft/zoo` folder (real path), resolved from core, then the working directory; null if absent. */
function zooPackageDir(ctx: ZooSearchContext): string | null {
  if (ctx.packageDir !== undefined) return ctx.packageDir;
  return resolvePackageDir(ZOO_PACKAGE).dir;
}

/**
 * The zoo folders a name is looked up in, in order: `zooDir` alone when given; else `$FT_ZOO_DIR` alone when set;
 * else the installed `@ft/zoo` package, then `<cwd>/zoo`.
 * @param zooDir explicit directory (the `zooDir` option, `ft --zoo-dir`).
 */
export function zooSearchPath(zooDir?: string, ctx: ZooSearchContext = {}): ZooLocation[] {
  const env = ctx.env ?? process.env;
  const cwd = ctx.cwd ?? process.cwd();
  if (zooDir) return [{ dir: path.resolve(cwd, zooDir), source: 'option' }];
  if (env.FT_ZOO_DIR) return [{ dir: path.resolve(cwd, env.FT_ZOO_DIR), source: 'env' }];
  const out: ZooLocation[] = [];
  const pkg = zooPackageDir(ctx);
  if (pkg) out.push({ dir: pkg, source: 'package' });
  const local = path.join(cwd, 'zoo');
  if (local !== pkg) out.push({ dir: local, source: 'cwd' });
  return out;
}

/**
 * The zoo folder a write goes to (`writeZooEntry`, `ft pretrain --zoo-name`): `zooDir` if given, else `$FT_ZOO_DIR`,
 * else the `@ft/zoo` package when it is a source checkout (not inside `node_modules`, as in this repository, where
 * it is `packages/zoo`), else `<cwd>/zoo`. An installed copy of `@ft/zoo` is never written to. Reads look in more
 * places: see {@link loadZooModel}.
 * @param zooDir explicit directory.
 */
export function resolveZooDir(zooDir?: string): string {
  return zooWriteDir(zooDir);
}

/** {@link resolveZooDir} with the process's environment, working directory and `@ft/zoo` replaceable (tests). */
export function zooWriteDir(zooDir?: string, ctx: ZooSearchContext = {}): string {
  const [first] = zooSearchPath(zooDir, ctx);
  if (first && first.source !== 'package') return first.dir;
  if (first) {
    const real = realpathOr(first.dir);
    if (!real.split(path.sep).includes('node_modules')) return first.dir;
  }
  return path.join(ctx.cwd ?? process.cwd(), 'zoo');
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** One line per searched place, for error messages. */
function describeLocations(locs: ZooLocation[], ctx: ZooSearchContext): string {
  const why = {
    option: 'the zooDir option / --zoo-dir',
    env: 'FT_ZOO_DIR',
    package: `the installed ${ZOO_PACKAGE} package`,
    cwd: 'the working directory',
  } as const;
  const lines = locs.map((l) => `${path.join(l.dir, ZOO_MANIFEST_FILE)} (${why[l.source]})`);
  if (locs.length && locs[0].source !== 'option' && locs[0].source !== 'env' && !zooPackageDir(ctx)) {
    lines.unshift(`${ZOO_PACKAGE} (not installed: not resolvable from @ft/core or the working directory)`);
  }
  return lines.join('; ');
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

/** Reads and validates one manifest file. Missing ⇒ ModelFileNotFoundError; malformed ⇒ ModelFormatError. */
async function readManifestFile(file: string): Promise<ZooManifest> {
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
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
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

/** A zoo found on the search path: its folder, why it was searched, and its manifest. */
export interface FoundZoo extends ZooLocation {
  manifest: ZooManifest;
}

/**
 * The zoos of {@link zooSearchPath} that have a manifest, in order, read one at a time (a malformed manifest is an
 * error when it is reached). None at all ⇒ ModelFileNotFoundError naming every place looked and how to fix it.
 */
export async function* findZoos(zooDir?: string, ctx: ZooSearchContext = {}): AsyncGenerator<FoundZoo> {
  const locs = zooSearchPath(zooDir, ctx);
  let found = 0;
  for (const loc of locs) {
    let manifest: ZooManifest;
    try {
      manifest = await readManifestFile(path.join(loc.dir, ZOO_MANIFEST_FILE));
    } catch (err) {
      if (err instanceof ModelFileNotFoundError) continue;
      throw err;
    }
    found++;
    yield { ...loc, manifest };
  }
  if (!found) {
    throw new ModelFileNotFoundError(
      `zoo manifest not found: looked in ${describeLocations(locs, ctx)}. Fix: ${ZOO_FIX}`,
      { searched: locs.map((l) => path.join(l.dir, ZOO_MANIFEST_FILE)), install: `npm install ${ZOO_PACKAGE}` },
    );
  }
}

/**
 * Reads and validates the manifest of the first zoo found (see {@link zooSearchPath}; with `zooDir`, that folder's).
 * None ⇒ ModelFileNotFoundError naming every place looked and the fix; malformed ⇒ ModelFormatError.
 * @param opts `zooDir` (see {@link zooSearchPath}).
 */
export async function readZooManifest(opts: { zooDir?: string } = {}): Promise<ZooManifest> {
  for await (const zoo of findZoos(opts.zooDir)) return zoo.manifest;
  throw new Error('unreachable: findZoos throws when no zoo is found');
}

/**
 * The entries of every zoo on the search path (a name listed twice counts once: the first zoo's entry, which is the
 * one `loadZooModel` loads); empty if no zoo has a manifest yet.
 */
export async function listZooModels(opts: { zooDir?: string } = {}): Promise<ZooEntry[]> {
  const out: ZooEntry[] = [];
  const seen = new Set<string>();
  try {
    for await (const zoo of findZoos(opts.zooDir)) {
      for (const e of zoo.manifest.models) {
        if (seen.has(e.name)) continue;
        seen.add(e.name);
        out.push(e);
      }
    }
  } catch (err) {
    if (err instanceof ModelFileNotFoundError) return out;
    throw err;
  }
  return out;
}

/**
 * The zoo that holds `name`: the first on the search path whose manifest lists it. No zoo at all ⇒ the
 * ModelFileNotFoundError of {@link findZoos}; zoos without the name ⇒ ModelFileNotFoundError listing what they hold.
 */
export async function locateZooModel(
  name: string,
  zooDir?: string,
  ctx: ZooSearchContext = {},
): Promise<{ entry: ZooEntry; zooDir: string }> {
  const searched: FoundZoo[] = [];
  for await (const zoo of findZoos(zooDir, ctx)) {
    const entry = zoo.manifest.models.find((e) => e.name === name);
    if (entry) return { entry, zooDir: zoo.dir };
    searched.push(zoo);
  }
  const available = [...new Set(searched.flatMap((z) => z.manifest.models.map((e) => e.name)))];
  throw new ModelFileNotFoundError(
    `no zoo model '${name}' in ${searched.map((z) => path.join(z.dir, ZOO_MANIFEST_FILE)).join(', ')}; available: ${
      available.join(', ') || '(none)'
    }`,
    { name },
  );
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
 * Loads a zoo model by name after verifying its checksums, from the first zoo on the search path that lists it
 * ({@link zooSearchPath}: `zooDir`, else `FT_ZOO_DIR`, else the installed `@ft/zoo`, then `<cwd>/zoo`).
 * No zoo found ⇒ ModelFileNotFoundError naming every place looked and the fix (`npm install @ft/zoo`, `FT_ZOO_DIR`,
 * `--zoo-dir`). A name that is not of the zoo's form (e.g. holds a path) ⇒ InvalidArgumentError; unknown name or missing files ⇒
 * ModelFileNotFoundError; checksum mismatch ⇒ ModelFormatError.
 * @param name manifest entry name.
 * @param opts `zooDir` (see {@link zooSearchPath}) and the options of `loadModel`.
 */
export async function loadZooModel(
  name: string,
  opts: { zooDir?: string } & LoadModelOptions = {},
): Promise<tfl.LayersModel> {
  checkZooName(name, 'loadZooModel');
  const { zooDir: _z, ...loadOpts } = opts;
  const { entry, zooDir } = await locateZooModel(name, opts.zooDir);
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
 * command, …). The manifest is rewritten atomically (temp file + rename), entries sorted by name, and so is the
 * zoo's `SHA256SUMS` when it has one. The zoo is {@link resolveZooDir}'s (never an installed copy of `@ft/zoo`). Used
 * by `ft pretrain`. Returns the entry written.
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
  await writeAtomic(path.join(zooDir, ZOO_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  // A zoo that ships `sha256sum -c` checksums (as @ft/zoo does) keeps them in step with the manifest.
  const sums = path.join(zooDir, ZOO_SHA256SUMS_FILE);
  if (existsSync(sums)) {
    const lines = manifest.models
      .flatMap((e) => [`${e.sha256.modelJson}  ${e.files.modelJson}`, `${e.sha256.weights}  ${e.files.weights}`])
      .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : a.slice(66) > b.slice(66) ? 1 : 0));
    await writeAtomic(sums, `${lines.join('\n')}\n`);
  }
  return entry;
}

/** Writes `text` to `file` through a temporary file and a rename. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}
