import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { assertModelFitsData } from './input-shape.js';

const model = (shape: (number | null)[]) => ({ name: 'm', inputs: [{ shape }] });

describe('assertModelFitsData', () => {
  it('accepts a model whose input shape matches the images (unknown dims match anything)', () => {
    expect(() => assertModelFitsData(model([null, 28, 28, 1]), [28, 28, 1])).not.toThrow();
    expect(() => assertModelFitsData(model([null, null, null, 3]), [32, 32, 3])).not.toThrow();
  });
  it('throws ShapeError (SHAPE) naming both shapes otherwise', () => {
    let err: unknown;
    try {
      assertModelFitsData(model([null, 28, 28, 1]), [32, 32, 3], 'cifar (test)');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).code).toBe('SHAPE');
    expect((err as Error).message).toMatch(/\[28, 28, 1\].*cifar \(test\).*\[32, 32, 3\]/);
    expect(() => assertModelFitsData(model([null, 784]), [28, 28, 1])).toThrow(ShapeError);
  });
});
