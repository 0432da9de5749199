import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { InputTooLargeError, InvalidArgumentError } from '../errors.js';
import { gzipBomb } from './hostile-inputs.js';
import {
  checkDeclaredBytes,
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_MAX_INPUT_BYTES,
  inflateCapped,
  inflateHead,
  parseByteSize,
  resolveInputLimits,
  shapeProduct,
} from './limits.js';

const saved = { b: process.env.FT_MAX_INPUT_BYTES, p: process.env.FT_MAX_IMAGE_PIXELS };
afterEach(() => {
  if (saved.b === undefined) delete process.env.FT_MAX_INPUT_BYTES;
  else process.env.FT_MAX_INPUT_BYTES = saved.b;
  if (saved.p === undefined) delete process.env.FT_MAX_IMAGE_PIXELS;
  else process.env.FT_MAX_IMAGE_PIXELS = saved.p;
});

describe('input limits', () => {
  it('defaults: 2 GiB and 8192×8192 pixels; env overrides the default, an option overrides the env', () => {
    delete process.env.FT_MAX_INPUT_BYTES;
    delete process.env.FT_MAX_IMAGE_PIXELS;
    expect(resolveInputLimits()).toEqual({
      maxInputBytes: DEFAULT_MAX_INPUT_BYTES,
      maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
    });
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(2 * 1024 ** 3);
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(8192 * 8192);
    process.env.FT_MAX_INPUT_BYTES = '512M';
    process.env.FT_MAX_IMAGE_PIXELS = '1000000';
    expect(resolveInputLimits()).toEqual({ maxInputBytes: 512 * 1024 ** 2, maxImagePixels: 1e6 });
    expect(resolveInputLimits({ maxInputBytes: 10, maxImagePixels: 20 })).toEqual({
      maxInputBytes: 10,
      maxImagePixels: 20,
    });
  });

  it('malformed env values and options are InvalidArgumentErrors naming them', () => {
    process.env.FT_MAX_INPUT_BYTES = 'lots';
    expect(() => resolveInputLimits()).toThrow(InvalidArgumentError);
    expect(() => resolveInputLimits()).toThrow(/FT_MAX_INPUT_BYTES.*'lots'/);
    delete process.env.FT_MAX_INPUT_BYTES;
    expect(() => resolveInputLimits({ maxInputBytes: -1 })).toThrow(/maxInputBytes/);
    expect(parseByteSize('2GiB', 'x')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1.5k', 'x')).toBe(1536);
    expect(parseByteSize('4096', 'x')).toBe(4096);
  });

  it('shapeProduct is zero for any zero dimension; checkDeclaredBytes refuses unsafe sizes, naming file and limit', () => {
    expect(shapeProduct([2, 3, 4])).toBe(24);
    expect(shapeProduct(new Array(255).fill(2 ** 32 - 1))).toBe(Infinity);
    expect(shapeProduct([...new Array(255).fill(2 ** 32 - 1), 0])).toBe(0);
    const unlimited = resolveInputLimits({ maxInputBytes: 2 ** 60 });
    expect(() => checkDeclaredBytes(2 ** 54, unlimited, 'f', 'x')).toThrow(InputTooLargeError);
    const lim = resolveInputLimits({ maxInputBytes: 1000 });
    expect(() => checkDeclaredBytes(1001, lim, 'f.idx', 'the header')).toThrow(InputTooLargeError);
    expect(() => checkDeclaredBytes(Infinity, lim, 'f.idx', 'the header')).toThrow(
      /f\.idx: the header declares .*over the input limit of 1000 B/,
    );
    expect(() => checkDeclaredBytes(1000, lim, 'f.idx', 'the header')).not.toThrow();
  });

  it('inflateHead reads a header without inflating a bomb; inflateCapped stops at the cap', () => {
    const bomb = gzipBomb(Buffer.from('HEADER'), 256); // 256 MiB of zeros after the header
    const t0 = performance.now();
    const head = inflateHead('gzip', bomb, 6, 'b.gz');
    expect(Buffer.from(head.subarray(0, 6)).toString()).toBe('HEADER');
    expect(head.length).toBeLessThanOrEqual(1 << 20);
    expect(() => inflateCapped('gzip', bomb, 1000, 'b.gz', 'its header')).toThrow(InputTooLargeError);
    expect(() => inflateCapped('gzip', bomb, 1000, 'b.gz', 'its header')).toThrow(
      /b\.gz: gzip data inflates to more than the 1000 B its header declares/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    // a small valid stream comes back whole
    const small = gzipSync(Buffer.from('hello'));
    expect(Buffer.from(inflateHead('gzip', small, 1024, 's.gz')).toString()).toBe('hello');
    expect(Buffer.from(inflateCapped('gzip', small, 5, 's.gz', 'x')).toString()).toBe('hello');
  });
});
