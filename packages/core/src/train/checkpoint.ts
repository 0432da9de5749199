/**
 * Training checkpoints on the local file system: `ckpt-<step>/` directories written atomically (temp directory +
 * rename) holding
 * - `weights.bin`: every model variable (weights and BN moving statistics), raw little-endian tensor data;
 * - `state.bin` + `state.json`: the training state as a JSON tree whose tensor leaves (optimizer slots, EMA
 *   shadows, …) are stored in `state.bin`;
 * - `manifest.json`, written last: the completeness marker with the size and SHA-256 of every other file.
 *
 * A directory without a valid manifest, or whose files do not match it, is corrupt (`CheckpointCorruptError`).
 * File names listed in a manifest are confined to the checkpoint directory (`UnsafePathError` for `..`, absolute
 * paths or symlinks leading out; devices and FIFOs are refused) and their sizes are compared with the manifest
 * before a byte is read.
 */
import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointCorruptError, DTypeError, InvalidArgumentError, ShapeError } from '../errors.js';
import { readConfinedFile } from '../io/confined-path.js';

const FORMAT = 'ft-checkpoint';
const VERSION = 1;
const CKPT_RE = /^ckpt-(\d+)$/;
/** Temp / replaced directories left by `writeAtomicDir` when a save is interrupted: `.tmp-<name>-<pid>-<n>`, `.old-…`. */
const STALE_RE = /^\.(tmp|old)-(ckpt-\d+)-(\d+)-(\d+)$/;
/** Upper bound on `manifest.json` (a real one is a few hundred bytes). */
const MANIFEST_MAX_BYTES = 1 << 20;

/** Where a tensor's bytes live inside a `.bin` file. */
export interface TensorSpec {
  name?: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  offset: number;
  byteLength: number;
}

/** `manifest.json` of a checkpoint (or of a weights-only directory). */
export interface CheckpointManifest {
  format: typeof FORMAT;
  version: number;
  complete: true;
  /** Global step the checkpoint was taken after (absent for weights-only directories). */
  step?: number;
  createdAt: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** A checkpoint read back from disk. Tensors are new; the caller disposes them (see `disposeCheckpoint`). */
export interface LoadedCheckpoint {
  path: string;
  manifest: CheckpointManifest;
  /** Model variables in the order they were saved. */
  weights: tf.Tensor[];
  weightSpecs: TensorSpec[];
  /** The state tree with its tensors restored. */
  state: unknown;
}

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

async function tensorBytes(t: tf.Tensor): Promise<{ bytes: Uint8Array; dtype: TensorSpec['dtype'] }> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new DTypeError(`checkpoint: cannot store a tensor of dtype '${t.dtype}' (shape [${t.shape}])`);
  }
  const data = (await t.data()) as Float32Array | Int32Array | Uint8Array;
  return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dtype: t.dtype };
}

/** Concatenates the bytes of `tensors` into one buffer and returns it with the specs. */
export async function packTensors(
  tensors: tf.Tensor[],
  names?: string[],
): Promise<{ data: Uint8Array; specs: TensorSpec[] }> {
  const parts: Uint8Array[] = [];
  const specs: TensorSpec[] = [];
  let offset = 0;
  for (let i = 0; i < tensors.length; i++) {
    const { bytes, dtype } = await tensorBytes(tensors[i]);
    specs.push({
      ...(names ? { name: names[i] } : {}),
      shape: [...tensors[i].shape],
      dtype,
      offset,
      byteLength: bytes.byteLength,
    });
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const data = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.byteLength;
  }
  return { data, specs };
}

/** Recreates tensors from a buffer written by `packTensors`. Throws `CheckpointCorruptError` on bad specs. */
export function unpackTensors(data: Uint8Array, specs: TensorSpec[], file: string): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  try {
    for (const s of specs) {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const bpe = s.dtype === 'bool' ? 1 : 4;
      if (s.byteLength !== size * bpe || s.offset < 0 || s.offset + s.byteLength > data.byteLength) {
        throw new CheckpointCorruptError(
          `checkpoint: ${file}: tensor spec ${JSON.stringify(s)} does not fit the file`,
          {
            file,
          },
        );
      }
      const bytes = data.slice(s.offset, s.offset + s.byteLength);
      const arr =
        s.dtype === 'float32'
          ? new Float32Array(bytes.buffer)
          : s.dtype === 'int32'
            ? new Int32Array(bytes.buffer)
            : new Uint8Array(bytes.buffer);
      out.push(tf.tensor(arr, s.shape, s.dtype));
    }
  } catch (e) {
    tf.dispose(out);
    throw e;
  }
  return out;
}

/**
 * Splits a JSON-like tree into a JSON value (tensor leaves replaced by `{"__tensor__": i}`) and the list of tensors.
 * Supports plain objects, arrays, numbers (incl. NaN/±Infinity), strings, booleans, null and `tf.Tensor` leaves.
 */
export function splitTensorTree(tree: unknown): { json: unknown; tensors: tf.Tensor[] } {
  const tensors: tf.Tensor[] = [];
  const walk = (x: unknown): unknown => {
    if (isTensor(x)) {
      tensors.push(x);
      return { __tensor__: tensors.length - 1 };
    }
    if (typeof x === 'number' && !Number.isFinite(x)) return { __number__: String(x) };
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) if (v !== undefined) o[k] = walk(v);
      return o;
    }
    return x;
  };
  return { json: walk(tree), tensors };
}

/** Inverse of `splitTensorTree`. */
export function joinTensorTree(json: unknown, tensors: tf.Tensor[]): unknown {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (typeof o.__tensor__ === 'number' && Object.keys(o).length === 1) return tensors[o.__tensor__];
      if (typeof o.__number__ === 'string' && Object.keys(o).length === 1) return Number(o.__number__);
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) r[k] = walk(v);
      return r;
    }
    return x;
  };
  return walk(json);
}

let tmpCounter = 0;

async function writeFileSynced(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `files` into `dir/name` atomically: into a temp directory first, then `manifest.json` (sizes and
 * SHA-256), then a rename. An existing `dir/name` is replaced.
 */
async function writeAtomicDir(
  dir: string,
  name: string,
  files: Record<string, Uint8Array>,
  extra: Partial<CheckpointManifest> = {},
): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.tmp-${name}-${process.pid}-${tmpCounter++}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  const manifest: CheckpointManifest = {
    format: FORMAT,
    version: VERSION,
    complete: true,
    ...extra,
    createdAt: new Date().toISOString(),
    files: {},
  };
  for (const [f, data] of Object.entries(files)) {
    await writeFileSynced(path.join(tmp, f), data);
    manifest.files[f] = { bytes: data.byteLength, sha256: sha256(data) };
  }
  await writeFileSynced(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
  const target = path.join(dir, name);
  let old: string | null = null;
  try {
    await fs.access(target);
    old = path.join(dir, `.old-${name}-${process.pid}-${tmpCounter++}`);
    await fs.rename(target, old);
  } catch {
    old = null;
  }
  await fs.rename(tmp, target);
  if (old) await fs.rm(old, { recursive: true, force: true });
  return target;
}

/** Reads `manifest.json` and every file it lists, verifying sizes and SHA-256. */
async function readVerifiedDir(
  dir: string,
): Promise<{ manifest: CheckpointManifest; files: Record<string, Uint8Array> }> {
  const mfile = path.join(dir, 'manifest.json');
  let manifest: CheckpointManifest;
  try {
    const raw = await readConfinedFile(dir, 'manifest.json', {
      what: `checkpoint ${dir}`,
      maxBytes: MANIFEST_MAX_BYTES,
    });
    manifest = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'UNSAFE_PATH') throw e;
    throw new CheckpointCorruptError(
      `checkpoint: ${mfile} is missing or unreadable (incomplete checkpoint)`,
      {
        file: mfile,
      },
      { cause: e },
    );
  }
  if (manifest?.format !== FORMAT || manifest.complete !== true || !manifest.files) {
    throw new CheckpointCorruptError(`checkpoint: ${mfile} is not a complete ${FORMAT} manifest`, { file: mfile });
  }
  const files: Record<string, Uint8Array> = {};
  for (const [f, info] of Object.entries(manifest.files)) {
    const file = path.join(dir, f);
    if (!info || !Number.isSafeInteger(info.bytes) || info.bytes < 0 || typeof info.sha256 !== 'string') {
      throw new CheckpointCorruptError(`checkpoint: ${mfile}: bad entry for '${f}': ${JSON.stringify(info)}`, {
        file: mfile,
      });
    }
    let data: Uint8Array;
    try {
      // confined to `dir` (UnsafePathError otherwise); the size is checked before reading
      data = await readConfinedFile(dir, f, {
        what: `checkpoint ${mfile} file entry`,
        expectedBytes: info.bytes,
        onSizeMismatch: (expected, found) =>
          new CheckpointCorruptError(
            `checkpoint: ${file} does not match its manifest (${found ?? 'a changing number of'} bytes, expected ${expected})`,
            { file },
          ),
      });
    } catch (e) {
      const code = (e as { code?: unknown })?.code;
      if (code === 'UNSAFE_PATH' || code === 'CHECKPOINT_CORRUPT') throw e;
      throw new CheckpointCorruptError(`checkpoint: ${file} is missing`, { file }, { cause: e });
    }
    if (data.byteLength !== info.bytes || sha256(data) !== info.sha256) {
      throw new CheckpointCorruptError(
        `checkpoint: ${file} does not match its manifest (${data.byteLength} bytes, expected ${info.bytes}; sha256 mismatch)`,
        { file },
      );
    }
    files[f] = data;
  }
  return { manifest, files };
}

/**
 * Writes a training checkpoint to `dir/ckpt-<step>/` atomically.
 * @param dir checkpoint root directory (created if needed).
 * @param step global step (names the directory).
 * @param content `weights` (model variables, in a stable order), `weightNames` (for messages) and `state` (a JSON
 *   tree that may contain tensors; they are read, not disposed).
 * @returns the path of the checkpoint directory.
 */
export async function saveCheckpoint(
  dir: string,
  step: number,
  content: { weights: tf.Tensor[]; weightNames?: string[]; state: unknown },
): Promise<string> {
  if (!Number.isInteger(step) || step < 0) throw new InvalidArgumentError(`saveCheckpoint: bad step ${step}`);
  const w = await packTensors(content.weights, content.weightNames);
  const { json, tensors } = splitTensorTree(content.state);
  const s = await packTensors(tensors);
  const stateJson = JSON.stringify({ weightSpecs: w.specs, stateSpecs: s.specs, state: json });
  return writeAtomicDir(
    dir,
    `ckpt-${step}`,
    { 'weights.bin': w.data, 'state.bin': s.data, 'state.json': new TextEncoder().encode(stateJson) },
    { step },
  );
}

/**
 * Reads and verifies one checkpoint directory. Throws `CheckpointCorruptError` naming the bad file when the manifest
 * is absent/incomplete or a file does not match its size or SHA-256.
 */
export async function loadCheckpoint(ckptPath: string): Promise<LoadedCheckpoint> {
  const { manifest, files } = await readVerifiedDir(ckptPath);
  for (const f of ['weights.bin', 'state.bin', 'state.json']) {
    if (!files[f]) throw new CheckpointCorruptError(`checkpoint: ${path.join(ckptPath, f)} is not in the manifest`);
  }
  let parsed: { weightSpecs: TensorSpec[]; stateSpecs: TensorSpec[]; state: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(files['state.json']));
  } catch (e) {
    throw new CheckpointCorruptError(
      `checkpoint: ${path.join(ckptPath, 'state.json')} is not valid JSON`,
      {},
      { cause: e },
    );
  }
  const weights = unpackTensors(files['weights.bin'], parsed.weightSpecs, path.join(ckptPath, 'weights.bin'));
  let stateTensors: tf.Tensor[];
  try {
    stateTensors = unpackTensors(files['state.bin'], parsed.stateSpecs, path.join(ckptPath, 'state.bin'));
  } catch (e) {
    tf.dispose(weights);
    throw e;
  }
  return {
    path: ckptPath,
    manifest,
    weights,
    weightSpecs: parsed.weightSpecs,
    state: joinTensorTree(parsed.state, stateTensors),
  };
}

/** Disposes every tensor of a loaded checkpoint (weights and state leaves). */
export function disposeCheckpoint(ckpt: LoadedCheckpoint): void {
  tf.dispose(ckpt.weights);
  tf.dispose(splitTensorTree(ckpt.state).tensors);
}

/** The `ckpt-<step>` directories under `dir`, ascending by step (without verifying them). `[]` if `dir` is absent. */
export async function listCheckpoints(dir: string): Promise<Array<{ path: string; step: number }>> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ path: string; step: number }> = [];
  for (const n of names) {
    const m = CKPT_RE.exec(n);
    if (m) out.push({ path: path.join(dir, n), step: Number(m[1]) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * Loads the newest valid checkpoint under `dir`, skipping corrupt or incomplete ones with a warning through `warn`.
 * Returns null when there is none.
 */
export async function loadLatestCheckpoint(
  dir: string,
  warn: (msg: string) => void = (m) => console.warn(m),
): Promise<LoadedCheckpoint | null> {
  const all = await listCheckpoints(dir);
  for (let i = all.length - 1; i >= 0; i--) {
    try {
      return await loadCheckpoint(all[i].path);
    } catch (e) {
      if (!(e instanceof CheckpointCorruptError)) throw e;
      warn(`checkpoint: skipping corrupt checkpoint ${all[i].path}: ${e.message}`);
    }
  }
  return null;
}

/** Deletes all but the newest `keepLast` checkpoints under `dir`. */
export async function pruneCheckpoints(dir: string, keepLast: number): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - keepLast)))
    await fs.rm(c.path, { recursive: true, force: true });
}

/**
 * Saves tensors (e.g. a model's variables) to `dir` as `weights.bin` + `weights.json` + `manifest.json`,
 * atomically (used by `bestCheckpoint`). `meta` is stored in `weights.json`.
 */
export async function saveWeights(
  dir: string,
  weights: tf.Tensor[],
  opts: { names?: string[]; meta?: Record<string, unknown> } = {},
): Promise<string> {
  const w = await packTensors(weights, opts.names);
  const json = JSON.stringify({ weightSpecs: w.specs, meta: opts.meta ?? {} });
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  return writeAtomicDir(parent, base, { 'weights.bin': w.data, 'weights.json': new TextEncoder().encode(json) });
}

/** Reads tensors written by `saveWeights`, verifying the manifest. The caller disposes them. */
export async function loadWeights(
  dir: string,
): Promise<{ weights: tf.Tensor[]; specs: TensorSpec[]; meta: Record<string, unknown> }> {
  const { files } = await readVerifiedDir(dir);
  if (!files['weights.bin'] || !files['weights.json']) {
    throw new CheckpointCorruptError(`checkpoint: ${dir} has no weights.bin/weights.json in its manifest`);
  }
  const parsed = JSON.parse(new TextDecoder().decode(files['weights.json']));
  return {
    weights: unpackTensors(files['weights.bin'], parsed.weightSpecs, path.join(dir, 'weights.bin')),
    specs: parsed.weightSpecs,
    meta: parsed.meta,
  };
}

/**
 * Assigns saved tensors to variables (same count, order and shapes). Throws `ShapeError` naming the variable and
 * `source` otherwise.
 */
export function assignVariables(variables: tf.Variable[], values: tf.Tensor[], source: string): void {
  if (variables.length !== values.length) {
    throw new ShapeError(`${source}: has ${values.length} tensors, the model has ${variables.length} variables`);
  }
  variables.forEach((v, i) => {
    const t = values[i];
    if (v.shape.length !== t.shape.length || v.shape.some((d, j) => d !== t.shape[j]) || v.dtype !== t.dtype) {
      throw new ShapeError(
        `${source}: tensor ${i} is ${t.dtype}[${t.shape}], variable '${v.name}' is ${v.dtype}[${v.shape}]`,
      );
    }
  });
  variables.forEach((v, i) => {
    v.assign(values[i]);
  });
}

/** True when process `pid` exists (signal 0 probe; EPERM means it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const processStartMs = Date.now() - process.uptime() * 1000;

/**
 * Removes the temp directories an interrupted `saveCheckpoint` leaves under `dir` (`.tmp-ckpt-<step>-<pid>-<n>`
 * and `.old-ckpt-<step>-<pid>-<n>`), called by `fit` when a run starts or resumes in `dir`. Only real directories
 * (not symlinks) whose names match that pattern exactly are touched, and only when the process that wrote them is
 * gone (another live process may be saving right now) or, for this process's own pid, when they are older than
 * this process. An `.old-ckpt-<step>-…` directory whose `ckpt-<step>` is missing (a crash between the two renames
 * of a replace) is renamed back to `ckpt-<step>` instead of deleted; `loadCheckpoint` still verifies it.
 * @returns the names removed or restored (for logging).
 */
export async function cleanStaleCheckpointTemps(dir: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const n of names) {
    const m = STALE_RE.exec(n);
    if (!m) continue;
    const pid = Number(m[3]);
    const full = path.join(dir, n);
    let st: Stats;
    try {
      st = await fs.lstat(full);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    if (pid === process.pid ? st.mtimeMs >= processStartMs : processAlive(pid)) continue;
    const target = path.join(dir, m[2]);
    if (m[1] === 'old' && !(await exists(target))) {
      await fs.rename(full, target);
      log(`checkpoint: restored ${target} from ${n} (a save was interrupted while replacing it)`);
    } else {
      await fs.rm(full, { recursive: true, force: true });
      log(`checkpoint: removed stale temporary directory ${full} (an interrupted save)`);
    }
    done.push(n);
  }
  return done;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
