/**
 * Paths read from files the user did not write (a `model.json` weights manifest, a `detector.json` backbone
 * folder, a zoo manifest, a checkpoint) are confined to the folder that holds that file: no absolute paths, no
 * `..` escape, no symlink escape, and only regular files are read. Sizes are checked against what the manifest
 * declares before a byte is read, so `/dev/zero` or a huge file never reaches memory.
 *
 * Files are opened with `O_NONBLOCK` (a FIFO does not block the open) and checked with `fstat` on the open
 * descriptor, so the file that is checked is the file that is read.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { UnsafePathError } from '../errors.js';

/**
 * Checks the text of a path read from a file: a non-empty string, no NUL byte, not absolute (POSIX, Windows
 * drive or UNC), and no `..` that leaves the folder. Returns the path unchanged. Throws `UnsafePathError`.
 *
 * @param rel the path as written in the file.
 * @param what what the path is, for the message (e.g. `/m/model.json weightsManifest[0].paths[0]`).
 * @param root the folder it must stay in (for the message and details only).
 */
export function checkRelativePath(rel: unknown, what: string, root = '.'): string {
  if (typeof rel !== 'string' || rel.length === 0) {
    throw new UnsafePathError(
      `${what}: expected a non-empty relative path, got ${JSON.stringify(rel) ?? String(rel)}`,
      {
        root,
      },
    );
  }
  if (rel.includes('\0')) throw new UnsafePathError(`${what}: path contains a NUL byte`, { root });
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new UnsafePathError(`${what}: '${rel}' is absolute; paths in this file must be relative to ${root}`, {
      root,
      path: rel,
    });
  }
  // `..` segments are judged on the POSIX and the Windows reading of the path (a backslash separates on Windows).
  for (const p of [path.posix, path.win32]) {
    const norm = p.normalize(rel);
    if (norm === '..' || norm.startsWith(`..${p.sep}`)) {
      throw new UnsafePathError(`${what}: '${rel}' escapes its folder ${root}`, { root, path: rel });
    }
  }
  return rel;
}

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
  checkRelativePath(rel, what, root);
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, rel as string);
  if (!isInside(absRoot, target)) {
    throw new UnsafePathError(`${what}: '${String(rel)}' escapes its folder ${absRoot}`, {
      root: absRoot,
      path: rel,
    });
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
    // Does not exist (yet). A parent may still be a symlink that leads out: check the deepest existing ancestor.
    let dir = path.dirname(target);
    while (isInside(absRoot, dir) && dir !== absRoot) {
      try {
        const realDir = await fs.realpath(dir);
        if (!isInside(realRoot, realDir)) {
          throw new UnsafePathError(`${what}: '${String(rel)}' leads through a symlink outside its folder ${absRoot}`, {
            root: absRoot,
            path: rel,
          });
        }
        break;
      } catch (e) {
        if (e instanceof UnsafePathError) throw e;
        dir = path.dirname(dir);
      }
    }
    return target;
  }
  if (!isInside(realRoot, realTarget)) {
    throw new UnsafePathError(`${what}: '${String(rel)}' is a symlink that leads outside its folder ${absRoot}`, {
      root: absRoot,
      path: rel,
    });
  }
  return target;
}

/** True when `target` is `root` itself or lies below it (both absolute). */
export function isInside(root: string, target: string): boolean {
  const r = path.relative(root, target);
  return r === '' || (r !== '..' && !r.startsWith(`..${path.sep}`) && !path.isAbsolute(r));
}

/** A regular file opened for reading, with its size at open time (see {@link openRegularFile}). */
export interface OpenedFile {
  /** Absolute path. */
  file: string;
  /** Size in bytes, from `fstat` on the open descriptor. */
  size: number;
  handle: fs.FileHandle;
}

/**
 * Opens `file` for reading without blocking (a FIFO does not hang the open) and checks with `fstat` that it is a
 * regular file: a folder, a device such as `/dev/zero`, a FIFO or a socket throws `UnsafePathError` (nothing is
 * read). A missing file rethrows the `ENOENT` error. The caller must close `handle`.
 *
 * @param file absolute or relative path (not confined: use {@link resolveConfined} first for paths from files).
 * @param what what the path is, for the message.
 */
export async function openRegularFile(file: string, what: string): Promise<OpenedFile> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'EISDIR') {
      throw new UnsafePathError(`${what}: ${file} is a folder, not a regular file`, { file }, { cause: e });
    }
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory()
        ? 'a folder'
        : st.isFIFO()
          ? 'a FIFO'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : st.isSocket()
              ? 'a socket'
              : 'not a file';
      throw new UnsafePathError(`${what}: ${file} is ${kind}, not a regular file`, { file });
    }
    return { file, size: st.size, handle };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads exactly `size` bytes from an open file; fewer (the file shrank) throws `onShort()`. */
async function readExactly(opened: OpenedFile, size: number, onShort: () => Error): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await opened.handle.read(out, off, size - off, off);
    if (bytesRead === 0) throw onShort();
    off += bytesRead;
  }
  return out;
}

/**
 * Reads a regular file that the user named directly (not a path from a file: it is not confined), refusing
 * anything that is not a regular file (`UnsafePathError`) and, with `maxBytes`, a larger file before reading it
 * (`onTooLarge(size)`, default `UnsafePathError`). A missing file rethrows the `ENOENT` error.
 */
export async function readRegularFile(
  file: string,
  opts: { what: string; maxBytes?: number; onTooLarge?: (size: number) => Error },
): Promise<Uint8Array> {
  const opened = await openRegularFile(file, opts.what);
  try {
    if (opts.maxBytes !== undefined && opened.size > opts.maxBytes) {
      throw (
        opts.onTooLarge?.(opened.size) ??
        new UnsafePathError(`${opts.what}: ${file} is larger than the ${opts.maxBytes}-byte limit`, { file })
      );
    }
    return await readExactly(
      opened,
      opened.size,
      () => new UnsafePathError(`${opts.what}: ${file} changed while it was read`, { file }),
    );
  } finally {
    await opened.handle.close();
  }
}

/**
 * Size in bytes of a regular file confined to `root`, without reading it. Throws like {@link readConfinedFile}.
 * Use it to compare the sizes of several files with a manifest before reading any of them.
 */
export async function statConfinedFile(
  root: string,
  rel: unknown,
  what: string,
): Promise<{ file: string; size: number }> {
  const file = await resolveConfined(root, rel, what);
  const opened = await openRegularFile(file, what);
  await opened.handle.close();
  return { file, size: opened.size };
}

/**
 * Reads a regular file confined to `root` (see `resolveConfined`). With `expectedBytes`, the size is compared
 * before reading and a mismatch throws `onSizeMismatch(expected, found)` (a format error of the caller's kind; `found`
 * is `undefined` when the file changed while it was read) without
 * reading the file; with `maxBytes`, a larger file throws `UnsafePathError` unread. The default mismatch message
 * names the expected size only: the size of the file found is not repeated. A path that is not a regular file (a
 * folder, a device such as `/dev/zero`, a FIFO) throws `UnsafePathError`. A missing file rethrows the `ENOENT`
 * error, so callers keep their own "not found" error.
 */
export async function readConfinedFile(
  root: string,
  rel: unknown,
  opts: {
    what: string;
    expectedBytes?: number;
    maxBytes?: number;
    onSizeMismatch?: (expected: number, found?: number) => Error;
  },
): Promise<Uint8Array> {
  const file = await resolveConfined(root, rel, opts.what);
  const opened = await openRegularFile(file, opts.what);
  const mismatch = (expected: number, found?: number) =>
    opts.onSizeMismatch?.(expected, found) ??
    new UnsafePathError(
      `${opts.what}: '${String(rel)}' does not have the ${expected} bytes its manifest declares (truncated, padded or replaced)`,
      { root, path: rel, expected },
    );
  try {
    if (opts.expectedBytes !== undefined && opened.size !== opts.expectedBytes) {
      throw mismatch(opts.expectedBytes, opened.size);
    }
    if (opts.maxBytes !== undefined && opened.size > opts.maxBytes) {
      throw new UnsafePathError(`${opts.what}: '${String(rel)}' is larger than the ${opts.maxBytes}-byte limit`, {
        root,
        path: rel,
      });
    }
    return await readExactly(opened, opened.size, () => mismatch(opts.expectedBytes ?? opened.size));
  } finally {
    await opened.handle.close();
  }
}
