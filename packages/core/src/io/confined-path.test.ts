import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, UnsafePathError } from '../errors.js';
import {
  checkRelativePath,
  isInside,
  readConfinedFile,
  readRegularFile,
  resolveConfined,
  statConfinedFile,
} from './confined-path.js';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'confined-'));
  root = path.join(base, 'model');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'weights.bin'), new Uint8Array([1, 2, 3, 4]));
  writeFileSync(path.join(root, 'sub', 'w.bin'), new Uint8Array([5, 6]));
  writeFileSync(path.join(base, 'secret.txt'), 'secret outside the model folder');
  symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'escape.bin'));
  symlinkSync(base, path.join(root, 'updir'));
  symlinkSync(path.join(root, 'weights.bin'), path.join(root, 'inside-link.bin'));
  symlinkSync('/dev/zero', path.join(root, 'zero.bin'));
  execFileSync('mkfifo', [path.join(root, 'fifo.bin')]);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'resolved';
};

describe('checkRelativePath', () => {
  it('accepts plain relative paths and rejects absolute, drive, UNC, .. and NUL', () => {
    expect(checkRelativePath('weights.bin', 'w')).toBe('weights.bin');
    expect(checkRelativePath('a/../b.bin', 'w')).toBe('a/../b.bin');
    expect(checkRelativePath('..foo', 'w')).toBe('..foo');
    for (const bad of [
      '/etc/passwd',
      'C:\\x',
      'c:x',
      '\\\\server\\share',
      '../x',
      'a/../../x',
      '..\\x',
      '..',
      'a\0b',
    ]) {
      expect(() => checkRelativePath(bad, 'w'), bad).toThrow(UnsafePathError);
    }
    for (const bad of ['', 3, null, undefined, ['a']])
      expect(() => checkRelativePath(bad, 'w')).toThrow(UnsafePathError);
  });
});

describe('isInside', () => {
  it('is true for the root and below, false for siblings with a common prefix', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/b/..foo')).toBe(true);
  });
});

describe('resolveConfined', () => {
  it('resolves a path inside the folder', async () => {
    expect(await resolveConfined(root, 'sub/w.bin', 'w')).toBe(path.join(root, 'sub', 'w.bin'));
    expect(await resolveConfined(root, 'missing.bin', 'w')).toBe(path.join(root, 'missing.bin'));
  });

  it('rejects absolute paths with UNSAFE_PATH and names the file', async () => {
    await expect(resolveConfined(root, '/etc/passwd', '/m/model.json weights path')).rejects.toThrow(
      /\/m\/model\.json weights path: '\/etc\/passwd' is absolute/,
    );
    expect(await code(resolveConfined(root, '/etc/passwd', 'w'))).toBe('UNSAFE_PATH');
  });

  it('rejects .. escapes', async () => {
    expect(await code(resolveConfined(root, '../../etc/passwd', 'w'))).toBe('UNSAFE_PATH');
    expect(await code(resolveConfined(root, 'sub/../../secret.txt', 'w'))).toBe('UNSAFE_PATH');
  });

  it('rejects a NUL byte', async () => {
    expect(await code(resolveConfined(root, 'weights.bin\0.txt', 'w'))).toBe('UNSAFE_PATH');
  });

  it('rejects a symlink that leads outside, also through a linked folder to a missing file', async () => {
    await expect(resolveConfined(root, 'escape.bin', 'w')).rejects.toThrow(/symlink that leads outside/);
    expect(await code(resolveConfined(root, 'updir/secret.txt', 'w'))).toBe('UNSAFE_PATH');
    expect(await code(resolveConfined(root, 'updir/not-there.bin', 'w'))).toBe('UNSAFE_PATH');
  });

  it('accepts a symlink that stays inside', async () => {
    expect(await resolveConfined(root, 'inside-link.bin', 'w')).toBe(path.join(root, 'inside-link.bin'));
  });
});

describe('readConfinedFile', () => {
  it('reads a regular file inside, also through an inside symlink', async () => {
    expect(Array.from(await readConfinedFile(root, 'weights.bin', { what: 'w', expectedBytes: 4 }))).toEqual([
      1, 2, 3, 4,
    ]);
    expect(Array.from(await readConfinedFile(root, 'inside-link.bin', { what: 'w' }))).toEqual([1, 2, 3, 4]);
  });

  it('refuses /dev/zero (not a regular file) fast, without reading', async () => {
    const t0 = performance.now();
    await expect(readConfinedFile(root, 'zero.bin', { what: 'w' })).rejects.toThrow(UnsafePathError);
    // zero.bin -> /dev/zero is also outside the folder; the regular-file check is what refuses an inside device
    await expect(readRegularFile('/dev/zero', { what: 'model.json' })).rejects.toThrow(/is a device, not a regular/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a FIFO without blocking on the open', async () => {
    const t0 = performance.now();
    await expect(readConfinedFile(root, 'fifo.bin', { what: 'w' })).rejects.toThrow(/is a FIFO, not a regular file/);
    expect(await code(statConfinedFile(root, 'fifo.bin', 'w'))).toBe('UNSAFE_PATH');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a folder', async () => {
    await expect(readConfinedFile(root, 'sub', { what: 'w' })).rejects.toThrow(/is a folder/);
  });

  it('checks the size before reading and does not repeat the size found', async () => {
    const err = await readConfinedFile(root, 'weights.bin', { what: 'w', expectedBytes: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsafePathError);
    expect(err.message).toContain('8 bytes');
    expect(err.message).not.toMatch(/\b4\b/);
    const typed = await readConfinedFile(root, 'weights.bin', {
      what: 'w',
      expectedBytes: 2,
      onSizeMismatch: (n) => new ModelFormatError(`expected ${n}`),
    }).catch((e) => e);
    expect(typed).toBeInstanceOf(ModelFormatError);
    expect(await code(readConfinedFile(root, 'weights.bin', { what: 'w', maxBytes: 3 }))).toBe('UNSAFE_PATH');
  });

  it('rethrows ENOENT for a missing file inside the folder', async () => {
    expect(await code(readConfinedFile(root, 'missing.bin', { what: 'w' }))).toBe('ENOENT');
  });

  it('statConfinedFile gives the size without reading', async () => {
    expect(await statConfinedFile(root, 'sub/w.bin', 'w')).toEqual({ file: path.join(root, 'sub', 'w.bin'), size: 2 });
    expect(existsSync(path.join(root, 'fifo.bin'))).toBe(true);
  });
});
