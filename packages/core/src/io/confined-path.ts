/**
 * Paths read from files the user did not write (a `model.json` weights manifest, a `detector.json` backbone
 * folder, a zoo manifest, a checkpoint) are confined to the folder that holds that file: no absolute paths, no
 * `..` escape, no symlink escape, and only regular files are read. Sizes are checked against what the manifest
 * declares before a byte is read, so `/dev/zero` or a huge file never reaches memory.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UnsafePathError } from '../errors.js';

/**
 * Resolves `rel` inside `root` and returns the absolute path, or throws `UnsafePathError` when `rel` is not a
 * non-empty relative path, contains a NUL byte, escapes `root` lexically (`..`, absolute, drive letters), or (when it
 * exists) resolves through a symlink to a place outside `root`'s real path. A path that does not exist is returned
 * as is: the caller's own read reports it missing.
 *
 * @param root the folder the path must stay in (e.g. the folder of `model.json`).
 * @param rel the path as written in the file.
 * @param what what the path is, for the message (e.g. `model.json weightsManifest path`).
 */
export async function resolveConfined(root: string, rel: unknown, what: string): Promise<string> {
  if (typeof rel !== 'string' || rel.length === 0) {
    throw new UnsafePathError(`${what}: expected a non-empty relative path, got ${JSON.stringify(rel)}`, { root });
  }
  if (rel.includes('\0')) throw new UnsafePathError(`${what}: path contains a NUL byte`, { root });
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new UnsafePathError(`${what}: '${rel}' is absolute; paths in this file must be relative to ${root}`, {
      root,
      path: rel,
    });
  }
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, rel);
  if (!isInside(absRoot, target)) {
    throw new UnsafePathError(`${what}: '${rel}' escapes its folder ${absRoot}`, { root: absRoot, path: rel });
  }
  let realRoot: string;
  try {
    realRoot = await fs.realpath(absRoot);
  } catch {
    return target;
  }
  let realTarget: string;
  try {
    realTarget = await fs.realpath(target);
  } catch {
    return target; // does not exist (yet): nothing to follow
  }
  if (!isInside(realRoot, realTarget)) {
    throw new UnsafePathError(`${what}: '${rel}' is a symlink that leads outside its folder ${absRoot}`, {
      root: absRoot,
      path: rel,
    });
  }
  return target;
}

/** True when `target` is `root` itself or lies below it (both absolute). */
export function isInside(root: string, target: string): boolean {
  const r = path.relative(root, target);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/**
 * Reads a regular file confined to `root` (see `resolveConfined`). With `expectedBytes`, the size is compared
 * before reading and a mismatch throws `onSizeMismatch(expected)` (a format error of the caller's kind) without
 * reading the file; with `maxBytes`, a larger file throws `UnsafePathError` unread. A path that is not a
 * regular file (a folder, a device such as `/dev/zero`, a FIFO) throws `UnsafePathError`. A missing file
 * rethrows the `ENOENT` error, so callers keep their own "not found" error.
 */
export async function readConfinedFile(
  root: string,
  rel: unknown,
  opts: {
    what: string;
    expectedBytes?: number;
    maxBytes?: number;
    onSizeMismatch?: (expected: number) => Error;
  },
): Promise<Uint8Array> {
  const file = await resolveConfined(root, rel, opts.what);
  const st = await fs.stat(file);
  if (!st.isFile()) {
    throw new UnsafePathError(`${opts.what}: '${String(rel)}' is not a regular file`, { root, path: rel });
  }
  if (opts.expectedBytes !== undefined && st.size !== opts.expectedBytes) {
    throw (
      opts.onSizeMismatch?.(opts.expectedBytes) ??
      new UnsafePathError(
        `${opts.what}: '${String(rel)}' does not have the ${opts.expectedBytes} bytes its manifest declares`,
        { root, path: rel },
      )
    );
  }
  if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
    throw new UnsafePathError(`${opts.what}: '${String(rel)}' is larger than the ${opts.maxBytes}-byte limit`, {
      root,
      path: rel,
    });
  }
  return new Uint8Array(await fs.readFile(file));
}
