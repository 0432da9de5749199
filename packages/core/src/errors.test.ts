import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  FT_ERROR_CODES,
  FtError,
  type FtErrorCode,
  InvalidArgumentError,
  isFtError,
  ShapeError,
  UnsafePathError,
} from './errors.js';

let copies = 0;
/** A second, independent copy of errors.ts: what an app gets when it loads @ft/core through both import and require. */
async function secondCopy(): Promise<typeof import('./errors.js')> {
  return import(/* @vite-ignore */ `./errors.ts?copy=${++copies}`);
}

describe('FtError', () => {
  it('carries a code from the literal union and a name from its class', () => {
    const e = new ShapeError('bad shape', { shape: [2] });
    expect(e).toMatchObject({ code: 'SHAPE', name: 'ShapeError', message: 'bad shape', details: { shape: [2] } });
    expectTypeOf(e.code).toEqualTypeOf<FtErrorCode>();
    expect(FT_ERROR_CODES).toContain('SHAPE');
    expect(new Set(FT_ERROR_CODES).size).toBe(FT_ERROR_CODES.length);
  });

  it('instanceof works across two copies of the package, per class', async () => {
    const other = await secondCopy();
    expect(other.FtError).not.toBe(FtError);
    const foreign = new other.ShapeError('x');
    expect(foreign instanceof FtError).toBe(true);
    expect(foreign instanceof ShapeError).toBe(true);
    expect(foreign instanceof InvalidArgumentError).toBe(false);
    expect(foreign instanceof Error).toBe(true);
    expect(new ShapeError('y') instanceof other.ShapeError).toBe(true);
    expect(new ShapeError('y') instanceof other.UnsafePathError).toBe(false);
    expect(new other.FtError('SHAPE', 'z') instanceof ShapeError).toBe(false);
  });
});

describe('isFtError', () => {
  it('accepts FtErrors of this or another copy, not Node system errors, plain errors or look-alikes', async () => {
    const other = await secondCopy();
    expect(isFtError(new UnsafePathError('x'))).toBe(true);
    expect(isFtError(new FtError('SHAPE', 'x'))).toBe(true);
    expect(isFtError(new other.DatasetFormatError('x'))).toBe(true);
    expect(isFtError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isFtError(Object.assign(new Error('x'), { code: 'ERR_BUFFER_TOO_LARGE' }))).toBe(false);
    expect(isFtError(Object.assign(new Error('x'), { code: 'MODEL_FORMAT' }))).toBe(false);
    expect(isFtError(new Error('x'))).toBe(false);
    expect(isFtError({ code: 'SHAPE', message: 'not an Error' })).toBe(false);
    expect(isFtError(null)).toBe(false);
  });
});
