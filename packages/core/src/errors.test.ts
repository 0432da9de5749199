import { describe, expect, it } from 'vitest';
import { FtError, isFtError, UnsafePathError } from './errors.js';

describe('isFtError', () => {
  it('accepts FtErrors and typed errors of another @ft/core copy, not Node system errors or plain errors', () => {
    expect(isFtError(new UnsafePathError('x'))).toBe(true);
    expect(isFtError(new FtError('SHAPE', 'x'))).toBe(true);
    // an FtError from a second copy of the package: same shape, different class identity
    expect(isFtError(Object.assign(new Error('x'), { code: 'MODEL_FORMAT' }))).toBe(true);
    expect(isFtError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isFtError(Object.assign(new Error('x'), { code: 'ERR_BUFFER_TOO_LARGE' }))).toBe(false);
    expect(isFtError(new Error('x'))).toBe(false);
    expect(isFtError({ code: 'SHAPE', message: 'not an Error' })).toBe(false);
  });
});
